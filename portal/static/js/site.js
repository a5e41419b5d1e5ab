// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // A second click on submit must not send the form twice; the server also deduplicates by key.
  document.querySelectorAll("form").forEach((form) => {
    form.addEventListener("submit", () => {
      form.querySelectorAll("[data-once], input[type=submit], button[type=submit]").forEach((button) => {
        window.setTimeout(() => { button.disabled = true; }, 0);
      });
    });
  });

  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const text = button.getAttribute("data-copy");
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = "کپی شد";
      } catch (error) {
        button.textContent = "کد را دستی کپی کنید";
      }
    });
  });

  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
});
