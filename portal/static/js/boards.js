// The duplicate and theme boards: small enhancements over forms that work without script.
(() => {
  const updateCount = (form) => {
    const counter = form.querySelector("[data-selected-count]");
    if (!counter) return;
    const picked = form.querySelectorAll("input[name=suggestions]:checked").length;
    counter.textContent = picked ? `${picked.toLocaleString("fa-IR")} برگزیده` : "";
  };

  // «Select all on this page» ticks or clears every suggestion checkbox of its form.
  document.addEventListener("change", (event) => {
    const box = event.target;
    const form = box.closest("form");
    if (!form) return;
    if (box.matches("[data-select-all]")) {
      const name = box.getAttribute("data-select-all");
      form.querySelectorAll(`input[name="${name}"]`).forEach((item) => { item.checked = box.checked; });
    }
    if (box.matches("[data-select-all], input[name=suggestions]")) updateCount(form);
  });

  // A failed htmx request leaves the page as it was: say so, and give back the buttons site.js disabled.
  const showProblem = (message) => {
    const alert = document.getElementById("board-alert");
    if (alert) alert.textContent = message;
    document.querySelectorAll("button[disabled]").forEach((button) => { button.disabled = false; });
  };
  document.addEventListener("htmx:responseError", (event) => {
    const status = event.detail.xhr.status;
    showProblem(status === 403
      ? "اجازهٔ این کار را ندارید یا نشست شما به پایان رسیده است. دوباره وارد شوید."
      : "کار انجام نشد؛ خطایی در کارگزار رخ داد. صفحه را تازه کنید و دوباره بکوشید.");
  });
  document.addEventListener("htmx:sendError", () => {
    showProblem("پیوند با کارگزار برقرار نشد. اتصال را بررسی کنید و دوباره بکوشید.");
  });
  document.addEventListener("htmx:beforeRequest", () => {
    const alert = document.getElementById("board-alert");
    if (alert) alert.textContent = "";
  });
})();
