// A bar chart drawn by Chart.js (only the bar parts are registered, to keep the bundle small).
import { useEffect, useRef } from "react";
import { useI18n } from "../i18n/I18n.jsx";
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  Tooltip,
} from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

/** @typedef {{ label: string, data: number[], color: string, axis?: "left" | "right" }} Series */

/**
 * `labels` on x; `series` on the left axis (or the right one); numbers formatted in the
 * console's language, the left axis's with `formatLeft` when given.
 * @param {{ labels: string[], series: Series[], title: string, formatLeft?: (value: number) => string }} props
 */
export function BarChart({ labels, series, title, formatLeft }) {
  const { locale, t } = useI18n();
  const canvas = useRef(/** @type {HTMLCanvasElement | null} */ (null));
  const chart = useRef(/** @type {Chart<"bar"> | null} */ (null));

  useEffect(() => {
    chart.current = new Chart(canvas.current, {
      type: "bar",
      data: { labels: [], datasets: [] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { position: "bottom" },
          title: { display: false },
          tooltip: { callbacks: {} },
        },
        scales: {
          left: { type: "linear", position: "left", beginAtZero: true },
          right: {
            type: "linear",
            position: "right",
            beginAtZero: true,
            grid: { drawOnChartArea: false },
            ticks: { precision: 0 },
          },
        },
      },
    });
    return () => chart.current.destroy();
  }, []);

  useEffect(() => {
    const c = chart.current;
    const plain = new Intl.NumberFormat(locale);
    const left = formatLeft || ((/** @type {number} */ value) => plain.format(value));
    c.options.locale = locale;
    c.options.scales.left.ticks.callback = (value) => left(Number(value));
    c.options.plugins.tooltip.callbacks.label = (item) => {
      const value =
        item.dataset.yAxisID === "left" ? left(item.parsed.y) : plain.format(item.parsed.y);
      return t("chart.tooltip", { label: item.dataset.label, value });
    };
    c.data.labels = labels;
    c.data.datasets = series.map((s) => ({
      label: s.label,
      data: s.data,
      backgroundColor: s.color,
      yAxisID: s.axis === "right" ? "right" : "left",
    }));
    c.update();
  }, [labels, series, locale, formatLeft, t]);

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div className="chart-box">
        <canvas ref={canvas} role="img" aria-label={title} />
      </div>
    </figure>
  );
}
