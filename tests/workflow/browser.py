"""Renders an HTML page in headless Chromium as a person would see it, and measures it.

A copy of the page gets a probe: an error catcher at the top of <head> and, at load, a script that
opens every <details>, then records script errors, images (and whether each decoded), tables wider
than their box, and whether the page itself scrolls sideways. Chromium's --dump-dom returns the DOM
with the probe's JSON in it; the page under test carries no script of its own."""
import html
import json
import os
import re
import shutil
import subprocess
import time

CATCH = "<script>window.__errors=[];window.addEventListener('error',e=>window.__errors.push(String(e.message)));</script>"
PROBE = """<script>
window.addEventListener('load', () => {
  document.querySelectorAll('details').forEach(d => d.open = true);
  const vw = document.documentElement.clientWidth;
  const tables = [...document.querySelectorAll('table')].map(t => ({
    width: t.getBoundingClientRect().width, box: t.parentElement.clientWidth,
    right: t.getBoundingClientRect().right, head: t.rows.length ? t.rows[0].innerText.slice(0, 60) : ''}));
  const images = [...document.images].map(i => ({ok: i.complete && i.naturalWidth > 0, width: i.getBoundingClientRect().width}));
  const out = {viewport: vw, page_width: document.documentElement.scrollWidth, errors: window.__errors,
               tables, images, title: document.title};
  const pre = document.createElement('pre');
  pre.id = 'axnn-probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def chromium():
    """The Chromium binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def render(page, workdir, width=1280, height=900, timeout=120):
    """Loads `page` at the given window size; returns (probe result dict, seconds Chromium took)."""
    with open(page, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"<head>", "<head>" + CATCH, text, count=1)
    text = text.replace("</body>", PROBE + "</body>", 1) if "</body>" in text else text + PROBE
    probed = os.path.join(workdir, "probed-" + os.path.basename(page))
    with open(probed, "w", encoding="utf-8") as f:
        f.write(text)
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           f"--user-data-dir={os.path.join(workdir, 'chromium-profile')}", f"--window-size={width},{height}",
           "--virtual-time-budget=10000", "--dump-dom", "file://" + os.path.abspath(probed)]
    start = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    seconds = time.monotonic() - start
    m = re.search(r'<pre id="axnn-probe">(.*?)</pre>', done.stdout, re.S)
    if not m:
        raise AssertionError(f"Chromium gave no probe result (exit {done.returncode}): {done.stderr[-2000:]}")
    return json.loads(html.unescape(m.group(1))), seconds


def too_wide(result):
    """Tables wider than their box, and the page's sideways overflow (px), at the rendered width."""
    wide = [t for t in result["tables"] if t["width"] > t["box"] + 1 or t["right"] > result["viewport"] + 1]
    return wide, max(0, result["page_width"] - result["viewport"])
