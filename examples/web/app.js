// The example web app of cookie mode (README.md, "Use it from a web app").
//
// - The refresh token is an HttpOnly cookie: the server sets it on login and refresh, and the
//   browser sends it to /graphql by itself. This script never sees it.
// - The access token is kept in this variable only (not localStorage), so a reload loses it;
//   on load the page calls `refresh` without an argument to get a new one from the cookie.
// - Every request carries `apollo-require-preflight: true`: the server refuses mutations that
//   use the cookie without it, which is what stops cross-site forms (CSRF).
'use strict';

let accessToken = null;
let refreshTimer = null;

const $ = (id) => document.getElementById(id);
const PAIR = 'accessToken expiresIn';

async function graphql(query, variables = {}) {
  const headers = { 'content-type': 'application/json', 'apollo-require-preflight': 'true' };
  if (accessToken) headers.authorization = `Bearer ${accessToken}`;
  const response = await fetch('/graphql', {
    method: 'POST',
    headers,
    credentials: 'same-origin',
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors && body.errors.length > 0) {
    const error = new Error(body.errors[0].message);
    error.code = body.errors[0].extensions && body.errors[0].extensions.code;
    throw error;
  }
  return body.data;
}

/** Keeps the new access token, and refreshes again shortly before it expires. */
function useTokens(pair) {
  accessToken = pair.accessToken;
  clearTimeout(refreshTimer);
  const seconds = Math.max(5, pair.expiresIn - 30);
  refreshTimer = setTimeout(() => restore().catch(() => {}), seconds * 1000);
}

async function showMe() {
  const { me } = await graphql('{ me { username role } }');
  $('me-username').textContent = me.username;
  $('me-role').textContent = me.role;
  show('logged-in', '');
}

function show(state, status) {
  document.body.dataset.state = state;
  $('status').textContent = status;
  $('login-form').hidden = state !== 'logged-out';
  $('session').hidden = state !== 'logged-in';
}

/** Trades the cookie for a new access token (the cookie is rotated too). */
async function restore() {
  const { refresh } = await graphql(`mutation { refresh { ${PAIR} } }`);
  useTokens(refresh);
  await showMe();
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('error').textContent = '';
  const form = new FormData(event.target);
  try {
    const { login } = await graphql(
      `mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { ${PAIR} } }`,
      { u: form.get('username'), p: form.get('password') },
    );
    useTokens(login);
    await showMe();
  } catch (error) {
    $('error').textContent = error.message;
  }
});

$('logout').addEventListener('click', async () => {
  $('error').textContent = '';
  try {
    await graphql('mutation { logout }');
  } catch (error) {
    $('error').textContent = error.message;
  }
  accessToken = null;
  clearTimeout(refreshTimer);
  show('logged-out', 'Logged out.');
});

restore().catch(() => show('logged-out', 'Not logged in.'));
