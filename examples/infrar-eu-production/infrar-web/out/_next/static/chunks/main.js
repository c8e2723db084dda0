// infrar-web, `next build` with `output: "export"` (a stand-in for the real export in ./out).
window.INFRAR_API = process?.env?.NEXT_PUBLIC_API_URL;
