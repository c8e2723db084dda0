// Telemetry ingress: accepts browser-extension events signed with HMAC-SHA256 and
// forwards them to the Scoring API. Unsigned or badly signed requests stop at the edge.
export default {
  async fetch(request, env) {
    if (request.method !== "POST") {
      return new Response("method not allowed", { status: 405 });
    }
    const body = await request.arrayBuffer();
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(env.INGRESS_SIGNING_KEY),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    const signature = request.headers.get("x-signature") || "";
    const bytes = Uint8Array.from(signature.match(/../g) || [], (h) => parseInt(h, 16));
    if (!(await crypto.subtle.verify("HMAC", key, bytes, body))) {
      return new Response("bad signature", { status: 401 });
    }
    return fetch(`${env.SCORING_API_URL}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
  },
};
