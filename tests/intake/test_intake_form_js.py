"""The live panel's script, run in Node against a small stand-in for the page (no browser here).

Checks what the script promises: it posts the form to the panel URL (debounced), shows the
server's fragment, applies the server's list of required questions, keeps only the newest
answer, submits once per click, and warns before leaving unsaved answers.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "static" / "js" / "intake_form.js"

HARNESS = r"""
const fs = require("fs");
const vm = require("vm");
const source = fs.readFileSync(process.argv[2], "utf8");

function element(id, classes) {
  const cls = new Set(classes || []);
  const attrs = {};
  return {
    id, attrs, listeners: {}, disabled: false,
    classList: {
      add: (c) => cls.add(c), remove: (c) => cls.delete(c), contains: (c) => cls.has(c),
      toggle: (c, on) => (on ? cls.add(c) : cls.delete(c)),
    },
    getAttribute: (n) => (n in attrs ? attrs[n] : null),
    setAttribute: (n, v) => { attrs[n] = String(v); },
    removeAttribute: (n) => { delete attrs[n]; },
    addEventListener(type, fn) { (this.listeners[type] = this.listeners[type] || []).push(fn); },
    fire(type, event) {
      event = Object.assign({ prevented: false, preventDefault() { this.prevented = true; } }, event);
      (this.listeners[type] || []).forEach((fn) => fn(event));
      return event;
    },
  };
}

const wrappers = [element("div_id_pain_trend", ["question"]), element("div_id_rdq_score", ["question"])];
const buttons = [element("save"), element("submit")];
const form = element("intake-form");
form.attrs["data-panel-url"] = "/intakes/7/panel/";
form.querySelectorAll = (sel) => (sel === ".question" ? wrappers : sel === "button[type=submit]" ? buttons : []);
const panel = element("live-panel");
let html = "";
Object.defineProperty(panel, "innerHTML", { get: () => html, set: (v) => { html = v; } });
panel.querySelector = () => {
  const m = /data-required="([^"]*)"/.exec(html);
  if (!m) return null;
  const state = element("panel-state");
  state.attrs["data-required"] = m[1];
  return state;
};
panel.innerHTML = '<div data-required="pain_trend">first render</div>';
const offline = element("panel-offline", ["d-none"]);
const byId = { "intake-form": form, "live-panel": panel, "panel-offline": offline };

const calls = [];
const pending = [];
function fetch(url, options) {
  calls.push({ url, method: options.method, hasBody: options.body instanceof FormData });
  return new Promise((resolve) => pending.push(resolve));
}
function respond(index, body) {
  pending[index]({ ok: true, text: () => Promise.resolve(body) });
}
class FormData { constructor(f) { this.form = f; } }
const win = element("window");
const sandbox = {
  document: { getElementById: (id) => byId[id] || null },
  window: win, fetch, FormData,
};
win.fetch = fetch; win.FormData = FormData;
win.setTimeout = setTimeout; win.clearTimeout = clearTimeout;
vm.runInNewContext(source, sandbox);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const result = {};
(async () => {
  result.requiredAtLoad = wrappers.map((w) => w.classList.contains("question-required"));

  form.fire("input", { target: { type: "radio", tagName: "INPUT" } });
  await sleep(120);
  result.callsAfterRadio = calls.length;
  result.firstCall = calls[0];
  respond(0, '<div data-required="rdq_score">after radio</div>');
  await sleep(10);
  result.panelAfterRadio = panel.innerHTML;
  result.requiredAfterRadio = wrappers.map((w) => w.classList.contains("question-required"));

  // typing: debounced into one request
  form.fire("input", { target: { type: "number", tagName: "INPUT" } });
  await sleep(100);
  form.fire("input", { target: { type: "number", tagName: "INPUT" } });
  await sleep(100);
  result.callsWhileTyping = calls.length;
  await sleep(450);
  result.callsAfterTyping = calls.length;

  // out of order: the older answer arriving last is ignored
  form.fire("change", { target: { type: "radio" } });
  await sleep(120);
  respond(2, '<div data-required="">newest</div>');
  respond(1, '<div data-required="pain_trend rdq_score">older</div>');
  await sleep(10);
  result.panelAfterRace = panel.innerHTML;

  result.leavingWithUnsaved = win.fire("beforeunload", {}).prevented;
  const first = form.fire("submit", {});
  const second = form.fire("submit", {});
  await sleep(5);
  result.submits = [first.prevented, second.prevented];
  result.buttonsDisabled = buttons.map((b) => b.disabled);
  result.leavingAfterSubmit = win.fire("beforeunload", {}).prevented;
  console.log(JSON.stringify(result));
})();
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_live_panel_script(tmp_path):
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS)
    run = subprocess.run(
        ["node", str(harness), str(SCRIPT)], capture_output=True, text=True, timeout=30
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["requiredAtLoad"] == [True, False]
    assert result["callsAfterRadio"] == 1
    assert result["firstCall"] == {"url": "/intakes/7/panel/", "method": "POST", "hasBody": True}
    assert result["panelAfterRadio"] == '<div data-required="rdq_score">after radio</div>'
    assert result["requiredAfterRadio"] == [False, True]
    assert (result["callsWhileTyping"], result["callsAfterTyping"]) == (1, 2)
    assert result["panelAfterRace"] == '<div data-required="">newest</div>'
    assert result["leavingWithUnsaved"] is True
    assert result["submits"] == [False, True]
    assert result["buttonsDisabled"] == [True, True]
    assert result["leavingAfterSubmit"] is False
