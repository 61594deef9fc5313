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
