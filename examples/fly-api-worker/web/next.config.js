/** Server-rendered: Vercel builds this app and runs its server side. */
module.exports = { reactStrictMode: true };
