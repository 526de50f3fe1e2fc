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
