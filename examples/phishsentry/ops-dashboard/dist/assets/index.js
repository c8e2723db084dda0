// The built Vite bundle of apps/ops-dashboard (a stand-in: `npm run build` writes the real one).
const api = import.meta.env?.VITE_SCORING_API_URL ?? "/api";
document.getElementById("app").textContent = `Scoring API: ${api}`;
