// The admin console's only script: the Copy buttons next to webhook URLs. Without it the URL
// fields still work (they select all on focus for a manual copy).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
  } catch (error) {
    document.execCommand("copy");  // older browsers, or a page not served over https
  }
  const label = button.textContent;
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = label; }, 1500);
});
document.addEventListener("focusin", (event) => {
  if (event.target.matches(".copy-row input[readonly]")) event.target.select();
});

// "Try a subject" answers while typing: the same page is asked (GET, no side effects) and its
// answer replaces this one's. Without the script the form's button does the same.
const tryForm = document.getElementById("try-form");
if (tryForm) {
  let timer = null;
  tryForm.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const query = new URLSearchParams(new FormData(tryForm));
      const response = await fetch(`${tryForm.getAttribute("action").split("#")[0]}?${query}`);
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const answer = page.getElementById("try-output");
      if (answer) document.getElementById("try-output").replaceChildren(...answer.childNodes);
    }, 300);
  });
}
