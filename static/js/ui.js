// Serverless AS2 shell behaviour (issue 11): phone menu, Download menus, Status switches,
// drop zones. Loaded as a file: the Content-Security-Policy forbids inline scripts.
"use strict";

// The Menu button opens and closes the navigation on a phone.
function setUpNavToggle() {
  const button = document.querySelector(".nav-toggle");
  const panel = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!panel) return;
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    panel.classList.toggle("open", open);
  });
}

// <details class="download"> closes like a menu: on a click outside, on Escape, after a
// choice, and when another one opens.
function setUpMenus() {
  const menus = [...document.querySelectorAll("details.download")];
  if (!menus.length) return;
  const closeAll = (except) => {
    for (const menu of menus) if (menu !== except) menu.open = false;
  };
  for (const menu of menus) {
    menu.addEventListener("toggle", () => { if (menu.open) closeAll(menu); });
    for (const link of menu.querySelectorAll("a")) {
      link.addEventListener("click", () => { setTimeout(() => { menu.open = false; }, 0); });
    }
  }
  document.addEventListener("click", (event) => {
    if (!event.target.closest("details.download")) closeAll(null);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const open = menus.find((menu) => menu.open);
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    }
  });
}

// A Status switch reads On or Off as it is.
function setUpSwitches() {
  for (const input of document.querySelectorAll(".toggle input[type=checkbox]")) {
    const state = input.parentElement.querySelector(".state");
    if (!state) continue;
    const show = () => { state.textContent = input.checked ? "On" : "Off"; };
    input.addEventListener("change", show);
    show();
  }
}

// "Or drop a file": dropping a file on the zone chooses it in the zone's file input.
function setUpDropZones() {
  for (const zone of document.querySelectorAll(".dropzone")) {
    const input = zone.querySelector("input[type=file]");
    const chosen = zone.querySelector(".chosen");
    if (!input) continue;
    const showChosen = () => {
      if (chosen) chosen.textContent = input.files.length ? `Chosen: ${input.files[0].name}` : "";
    };
    input.addEventListener("change", showChosen);
    for (const name of ["dragenter", "dragover"]) {
      zone.addEventListener(name, (event) => { event.preventDefault(); zone.classList.add("over"); });
    }
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      if (!event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }
}

// Help text that follows the chosen option: <small data-help-mode="generate|import">.
function setUpModeHelp() {
  const radios = document.querySelectorAll('[name="mode"]');
  if (!radios.length) return;
  const show = () => {
    const mode = document.querySelector('[name="mode"]:checked')?.value || "generate";
    for (const part of document.querySelectorAll("[data-help-mode]")) {
      part.hidden = part.dataset.helpMode !== mode;
    }
  };
  for (const radio of radios) radio.addEventListener("change", show);
  show();
}

// A table that scrolls sideways within its card can be scrolled from the keyboard: the
// scroller takes focus (as a named region) when it overflows and nothing in it can.
function setUpTableScrollers() {
  const scrollers = [...document.querySelectorAll(".table-scroll")];
  const update = () => {
    for (const box of scrollers) {
      const needsFocus = box.scrollWidth > box.clientWidth && !box.querySelector("a, button, input, select, summary");
      if (needsFocus) {
        const heading = box.closest("section")?.querySelector("h1, h2");
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", heading ? heading.textContent.trim() : "Table");
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }
  };
  window.addEventListener("resize", update);
  update();
}

document.addEventListener("DOMContentLoaded", () => {
  setUpTableScrollers();
  setUpNavToggle();
  setUpMenus();
  setUpSwitches();
  setUpDropZones();
  setUpModeHelp();
});
