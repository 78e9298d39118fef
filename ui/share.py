"""The sidebar's share box: the address of this view, always current, with a copy button.

Every control that shapes a view is bound to the URL, so the address bar is the share link. The box shows that
address as the browser has it: a control inside an st.fragment reruns only its fragment, which may not redraw
the sidebar, so a box drawn by the server would lag behind. The text is set as a form value, never as HTML.
"""

from __future__ import annotations

import streamlit as st

CSS = """
.share { display: flex; gap: 0.4rem; align-items: center; }
.share input { flex: 1; min-width: 0; font: 0.8rem var(--st-code-font, monospace); padding: 0.35rem 0.5rem;
  color: var(--st-text-color); background: var(--st-secondary-background-color);
  border: 1px solid var(--st-border-color, rgba(128, 128, 128, 0.4)); border-radius: 0.4rem; }
.share button { font: 0.8rem var(--st-font, sans-serif); padding: 0.35rem 0.6rem; cursor: pointer;
  color: var(--st-text-color); background: var(--st-background-color);
  border: 1px solid var(--st-border-color, rgba(128, 128, 128, 0.4)); border-radius: 0.4rem; }
"""

HTML = """
<div class="share">
  <input type="text" readonly aria-label="Link to this view" data-testid="shareLink">
  <button type="button" title="Copy the link">Copy</button>
</div>
"""

# Streamlit moves bound controls into the URL with history.replaceState, which fires no event: a 300 ms poll of
# one string keeps the box current at no measurable cost.
JS = """
export default function ({ parentElement }) {
  const input = parentElement.querySelector("input");
  const button = parentElement.querySelector("button");
  const show = () => { if (input.value !== window.location.href) input.value = window.location.href; };
  show();
  const timer = setInterval(show, 300);
  input.addEventListener("focus", () => input.select());
  button.addEventListener("click", async () => {
    show();
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      input.select();  // no clipboard API (plain http): the link is selected for Ctrl+C
      document.execCommand("copy");
    }
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  });
  return () => clearInterval(timer);
}
"""

_share_box = st.components.v2.component("bnlab_share_link", html=HTML, css=CSS, js=JS)


def share_link() -> None:
    """Draw the share box where the caller is (the sidebar)."""
    _share_box(key="share_link")
