// Serverless AS2 page behaviour. Loaded as a file: the Content-Security-Policy forbids inline scripts.
"use strict";

// Copy buttons: <button data-copy="text">.
function setUpCopyButtons() {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const label = button.textContent;
      try {
        await navigator.clipboard.writeText(button.dataset.copy);
        button.textContent = "Copied";
      } catch {
        window.prompt("Copy this:", button.dataset.copy);
      }
      setTimeout(() => { button.textContent = label; }, 1500);
    });
  }
}

// Partnership form: choosing an instance or partner shows its name, alias and e-mail.
function setUpFillBlocks() {
  for (const block of document.querySelectorAll("fieldset[data-fill]")) {
    const source = document.getElementById(block.dataset.fill + "-data");
    const select = block.querySelector("select");
    if (!source || !select) continue;
    const data = JSON.parse(source.textContent);
    const fill = () => {
      const row = data[select.value] || {};
      for (const dd of block.querySelectorAll("dd[data-field]")) {
        dd.textContent = row[dd.dataset.field] || "";
      }
    };
    select.addEventListener("change", fill);
    fill();
  }
}

document.addEventListener("DOMContentLoaded", () => {
  setUpCopyButtons();
  setUpFillBlocks();
});

// ---- Certificates: Create Cert form ------------------------------------------------------
// Option A / Option B switch, aliases pre-filled from the chosen instance and partner, and the
// aliases found in an uploaded .p12/.pfx (asked of the server; the file is not stored).
function setUpCertificateCreateForm() {
  const form = document.querySelector("form[data-certificate-create]");
  if (!form) return;
  const field = (name) => form.querySelector(`[name="${name}"]`);
  const data = (id) => JSON.parse(document.getElementById(id)?.textContent || "{}");
  const instances = data("instances-data");
  const partners = data("partners-data");
  const keyAlias = field("private_key_alias");
  const partnerAlias = field("partner_alias");
  const keystoreFile = field("keystore_file");
  const password = field("password");
  const aliasList = document.getElementById("keystore-alias-list");
  const aliasNote = document.getElementById("keystore-aliases");

  const mode = () => form.querySelector('[name="mode"]:checked')?.value || "generate";
  const showMode = () => {
    for (const part of form.querySelectorAll("[data-mode]")) {
      part.hidden = part.dataset.mode !== mode();
    }
  };
  // A value the user typed is kept; one we filled in follows the selection.
  for (const input of [keyAlias, partnerAlias]) {
    input.addEventListener("input", () => { input.dataset.typed = input.value ? "yes" : ""; });
  }
  const fill = (input, value) => {
    if (!input.dataset.typed && value !== undefined) input.value = value;
  };
  const fillKeyAlias = () => {
    if (mode() === "generate") fill(keyAlias, instances[field("instance").value]?.alias);
  };
  field("instance").addEventListener("change", fillKeyAlias);
  field("partner").addEventListener("change", () => {
    fill(partnerAlias, partners[field("partner").value]?.alias);
  });
  for (const radio of form.querySelectorAll('[name="mode"]')) {
    radio.addEventListener("change", () => {
      showMode();
      if (mode() === "generate") fillKeyAlias(); else if (!keyAlias.dataset.typed) keyAlias.value = "";
      listAliases();
    });
  }

  let asked = 0;
  const listAliases = async () => {
    const file = keystoreFile.files[0];
    if (mode() !== "import" || !file || !password.value) return;
    const ask = ++asked;
    const body = new FormData();
    body.append("keystore_file", file);
    body.append("password", password.value);
    body.append("csrfmiddlewaretoken", field("csrfmiddlewaretoken").value);
    let answer;
    try {
      const response = await fetch(form.dataset.aliasesUrl, { method: "POST", body, credentials: "same-origin" });
      answer = await response.json();
    } catch {
      answer = { error: "The aliases could not be read; type the privateKeyAlias yourself." };
    }
    if (ask !== asked) return; // a newer file or password was chosen meanwhile
    aliasList.replaceChildren();
    if (answer.error) {
      aliasNote.textContent = answer.error;
      return;
    }
    const keys = answer.private_key_aliases;
    for (const alias of keys) aliasList.append(new Option(alias, alias));
    aliasNote.textContent = keys.length
      ? `Private keys in this file: ${keys.join(", ")}`
      : "This file holds no private key.";
    if (keys.length === 1 && !keyAlias.dataset.typed) keyAlias.value = keys[0];
  };
  keystoreFile.addEventListener("change", listAliases);
  let typing;
  password.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(listAliases, 400);
  });

  showMode();
  if (!keyAlias.value) fillKeyAlias();
  if (!partnerAlias.value) fill(partnerAlias, partners[field("partner").value]?.alias);
}

document.addEventListener("DOMContentLoaded", setUpCertificateCreateForm);

// ---- Send File: content_type and subject follow the chosen partnership until the user edits them.
function setUpSendFileForm() {
  const form = document.querySelector("form[data-send-file]");
  const source = document.getElementById("send-partnerships-data");
  if (!form || !source) return;
  const data = JSON.parse(source.textContent);
  const select = form.querySelector('[name="partnership"]');
  const inputs = ["content_type", "subject"].map((name) => form.querySelector(`[name="${name}"]`));
  for (const input of inputs) {
    input.addEventListener("input", () => { input.dataset.typed = input.value ? "yes" : ""; });
  }
  const fill = () => {
    const row = data[select.value];
    if (!row) return;
    for (const input of inputs) {
      if (!input.dataset.typed) input.value = row[input.name] ?? "";
    }
  };
  select.addEventListener("change", fill);
  if (inputs.every((input) => !input.value)) fill();
}

document.addEventListener("DOMContentLoaded", setUpSendFileForm);

// ---- TrackLog: while messages are pending, reload the page now and then (not while the user types).
function setUpRefresh() {
  const note = document.querySelector("[data-refresh-seconds]");
  if (!note) return;
  const seconds = Number(note.dataset.refreshSeconds) || 5;
  const tick = () => {
    const typing = document.activeElement && document.activeElement.matches("input, select, textarea");
    if (document.visibilityState === "visible" && !typing) {
      window.location.reload();
    } else {
      setTimeout(tick, seconds * 1000);
    }
  };
  setTimeout(tick, seconds * 1000);
}

document.addEventListener("DOMContentLoaded", setUpRefresh);
