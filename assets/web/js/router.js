// Navigation inside the page: the pages call navigate() and app.js (which owns the
// routes) tells the router how to render, so no page imports app.js.

let renderPage = () => {};

// app.js: the function that shows the page of location.pathname.
export function onNavigate(render) {
  renderPage = render;
}

// Goes to url inside the page (pushState, or replaceState when replace), renders it and
// moves the focus to the new content.
export function navigate(url, replace = false) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  renderPage();
  window.scrollTo(0, 0);
  document.getElementById('main').focus({ preventScroll: true });
}
