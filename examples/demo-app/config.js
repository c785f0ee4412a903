// Front-end build settings (demo). Only the publishable key may reach the browser.
module.exports = {
  stripePublishableKey: process.env.STRIPE_PUBLISHABLE_KEY,
  apiBase: process.env.API_BASE || "http://localhost:8000",
  githubToken: process.env.GITHUB_TOKEN, // used by the release script only
  s3Bucket: process.env.ASSETS_BUCKET || "shop-dev-assets",
};
