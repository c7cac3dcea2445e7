// A bar chart drawn by Chart.js (only the bar parts are registered, to keep the bundle small).
import { useEffect, useRef } from "react";
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

/** `labels` on x; `series`: [{label, data, color, axis: "left" | "right"}]. */
export function BarChart({ labels, series, title }) {
  const canvas = useRef(null);
  const chart = useRef(null);

  useEffect(() => {
    chart.current = new Chart(canvas.current, {
      type: "bar",
      data: { labels: [], datasets: [] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { position: "bottom" }, title: { display: false } },
        scales: {
          left: { type: "linear", position: "left", beginAtZero: true },
          right: { type: "linear", position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { precision: 0 } },
        },
      },
    });
    return () => chart.current.destroy();
  }, []);

  useEffect(() => {
    const c = chart.current;
    c.data.labels = labels;
    c.data.datasets = series.map((s) => ({
      label: s.label,
      data: s.data,
      backgroundColor: s.color,
      yAxisID: s.axis === "right" ? "right" : "left",
    }));
    c.update();
  }, [labels, series]);

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div className="chart-box">
        <canvas ref={canvas} role="img" aria-label={title} />
      </div>
    </figure>
  );
}
