// The reviewer workspace: keyboard shortcuts and the dashboard charts. Every page works without it.
(() => {
  "use strict";

  // Keys are matched by their physical position (event.code), so they work with a Persian layout too.
  const isTyping = (element) =>
    element && (element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName));

  const submit = (form) => {
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else form.submit();
  };

  // What a shortcut does depends on the element that carries it: a form is sent, a field is focused,
  // a link is followed.
  const activate = (element) => {
    if (element.tagName === "FORM") {
      submit(element);
    } else if (["INPUT", "SELECT", "TEXTAREA"].includes(element.tagName)) {
      element.focus();
      if (element.select) element.select();
    } else {
      element.click();
    }
  };

  // Queue page: j/k move between rows, Enter opens, x ticks the row.
  const rows = () => Array.from(document.querySelectorAll(".queue-table tr[data-row]"));
  const moveRow = (step) => {
    const all = rows();
    if (!all.length) return false;
    let index = all.findIndex((row) => row.classList.contains("is-current"));
    all.forEach((row) => row.classList.remove("is-current"));
    index = index < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, index + step));
    const row = all[index];
    row.classList.add("is-current");
    const link = row.querySelector(".row-link");
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
    return true;
  };
  const currentRow = () => document.querySelector(".queue-table tr.is-current");

  // Review page: r arms the reject form; a digit then picks the reason and sends it.
  let armed = null;
  const disarm = () => {
    if (!armed) return;
    armed.querySelector(".armed-hint")?.setAttribute("hidden", "");
    armed.closest(".decision-panel")?.classList.remove("is-armed-reason");
    armed = null;
  };
  const arm = (form) => {
    armed = form;
    form.querySelector(".armed-hint")?.removeAttribute("hidden");
    form.closest(".decision-panel")?.classList.add("is-armed-reason");
  };
  const pickReason = (digit) => {
    const form = armed;
    const select = form.querySelector("select[name=reason]");
    if (!select || digit < 1 || digit >= select.options.length) return;
    select.selectedIndex = digit;
    disarm();
    const note = form.querySelector("input[name=note]");
    if (select.value === "other" && note && !note.value.trim()) {
      note.focus(); // «other» needs a word of explanation; Enter then sends it
      return;
    }
    submit(form);
  };

  const acceptOrChooseTheme = (form) => {
    const select = form.querySelector("select[name=theme]");
    if (select && !select.value) {
      select.focus();
      return;
    }
    submit(form);
  };

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (isTyping(target)) {
      if (event.key === "Escape") target.blur();
      return;
    }
    const code = event.code;
    if (armed) {
      const match = /^(?:Digit|Numpad)([1-9])$/.exec(code);
      if (match) {
        event.preventDefault();
        pickReason(Number(match[1]));
        return;
      }
      if (code === "Escape") {
        disarm();
        return;
      }
      disarm();
    }
    if (rows().length && (code === "KeyJ" || code === "KeyK")) {
      event.preventDefault();
      moveRow(code === "KeyJ" ? 1 : -1);
      return;
    }
    if (code === "KeyX" && currentRow()) {
      const box = currentRow().querySelector("input[type=checkbox]");
      if (box) box.checked = !box.checked;
      return;
    }
    if (code === "Enter" && currentRow() && target === document.body) {
      currentRow().querySelector(".row-link")?.click();
      return;
    }
    const element = document.querySelector(`[data-key="${code}"]`);
    if (!element) return;
    event.preventDefault();
    if (element.dataset.arm === "reason") arm(element);
    else if (element.id === "accept-form") acceptOrChooseTheme(element);
    else activate(element);
  });

  // «This is a duplicate of that one» beside each similar suggestion fills the duplicate form.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-fill-duplicate]");
    if (!button) return;
    const field = document.getElementById("duplicate-original");
    if (!field) return;
    field.value = button.dataset.fillDuplicate;
    field.focus();
  });

  // Dashboard: one chart per canvas marked data-dashboard-chart, its data in the json_script it names.
  // Staff report pages carry canvases of their own (data-chart, drawn by reports.js): this leaves them be.
  const persianNumber = new Intl.NumberFormat("fa-IR", { maximumFractionDigits: 1 });
  const drawCharts = () => {
    if (typeof window.Chart === "undefined") return;
    const Chart = window.Chart;
    Chart.defaults.font.family = "Vazirmatn, Tahoma, sans-serif";
    const palette = ["#0b6e4f", "#b02a37", "#6c757d", "#e0a800", "#6f42c1", "#0d6efd", "#fd7e14", "#20c997"];
    document.querySelectorAll("canvas[data-dashboard-chart]").forEach((canvas) => {
      const source = document.getElementById(canvas.dataset.dashboardChart);
      if (!source) return;
      const chart = JSON.parse(source.textContent);
      if (!Array.isArray(chart.labels) || !Array.isArray(chart.series)) return;
      new Chart(canvas, {
        type: chart.type,
        data: {
          labels: chart.labels,
          datasets: chart.series.map((series, index) => ({
            label: series.label,
            data: series.data,
            backgroundColor: palette[index % palette.length],
            borderColor: palette[index % palette.length],
            tension: 0.25,
          })),
        },
        options: {
          locale: "fa-IR",
          // Categories with long Persian names lie along a vertical axis, where each is read whole.
          indexAxis: chart.horizontal ? "y" : "x",
          maintainAspectRatio: false,
          animation: false,
          plugins: {
            legend: { rtl: true, display: chart.series.length > 1, labels: { boxWidth: 12 } },
            tooltip: { rtl: true },
          },
          scales: chart.horizontal ? horizontalScales() : timeScales(),
        },
      });
    });
  };

  // Chart.js prints zero as a bare "0" whatever the locale: every count goes through Intl instead.
  const countAxis = (extra) => ({
    beginAtZero: true,
    ticks: { precision: 0, callback: (value) => persianNumber.format(value) },
    ...extra,
  });

  // Days and weeks run right to left, the newest at the left edge. Labels stay level, the first and last
  // are kept inside the canvas (a slanted label there was cut in half), and when there is no room for all
  // of them every few is shown counting from the newest, so the newest day always has its label.
  const LABEL_ROOM = 95; // px: a Jalali date such as «۲۹ اردیبهشت ۱۴۰۵» with space around it
  const fromNewest = function (value, index, ticks) {
    const step = Math.max(1, Math.ceil((ticks.length * LABEL_ROOM) / this.chart.width));
    return (ticks.length - 1 - index) % step === 0 ? this.getLabelForValue(value) : "";
  };
  const timeScales = () => ({
    x: { reverse: true, ticks: { autoSkip: false, maxRotation: 0, align: "inner", callback: fromNewest } },
    y: countAxis({ position: "right" }),
  });

  const shorten = (label) => (label.length > 28 ? `${label.slice(0, 27)}…` : label);
  const horizontalScales = () => ({
    x: countAxis({ reverse: true }),
    y: {
      position: "right",
      ticks: {
        autoSkip: true,
        callback(value) {
          return shorten(String(this.getLabelForValue(value)));
        },
      },
    },
  });

  // After a decision the panel is new: leave the field htmx refocused, so j goes on to the next suggestion.
  document.addEventListener("htmx:afterSettle", (event) => {
    const panel = event.detail.elt;
    if (panel && panel.id === "decision-panel" && panel.querySelector(".alert-success") && isTyping(document.activeElement)) {
      document.activeElement.blur();
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    drawCharts();
  });
})();
