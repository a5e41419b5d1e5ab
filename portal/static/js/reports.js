// Draws each report chart from its JSON data block; the table beside each chart holds the same numbers.
(() => {
  const persian = (value) => String(value).replace(/\d/g, (digit) => "۰۱۲۳۴۵۶۷۸۹"[digit]);

  const draw = () => {
    if (typeof window.Chart === "undefined") return;
    const Chart = window.Chart;
    Chart.defaults.font.family = "Vazirmatn, Tahoma, sans-serif";
    Chart.defaults.color = "#333";
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      const data = JSON.parse(source.textContent);
      const height = Math.max(140, 36 * data.labels.length + 50);
      canvas.parentElement.style.height = `${height}px`;
      new Chart(canvas, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [{ label: data.title, data: data.values, backgroundColor: "#0b6e4f", borderRadius: 3, maxBarThickness: 26 }],
        },
        options: {
          indexAxis: "y",
          maintainAspectRatio: false,
          animation: false,
          locale: "fa-IR",
          plugins: {
            legend: { display: false },
            tooltip: { rtl: true, textDirection: "rtl", callbacks: { label: (item) => persian(item.raw) } },
          },
          scales: {
            x: { reverse: true, beginAtZero: true, ticks: { precision: 0, callback: (value) => persian(value) } },
            y: { position: "right" },
          },
        },
      });
    });
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
