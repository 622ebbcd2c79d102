#!/usr/bin/python3
"""The web experiment end to end in real headless Chromium, driven over the DevTools protocol
(--remote-debugging-pipe, so only the Python standard library is needed).

A participant consents with the mouse, starts with the space bar and answers trials with the keys
1-6; halfway through they close the tab, open the page again and resume at the next trial; they
finish the session. A second participant (a fresh browser context: no cookie) gets their own first
trial and cannot open the operator page. Then `experiment analyze` must count exactly the answered
trials, and the store must hold each answer once.

usage: browser_test.py ROBUSTLAB_CLI SHARED_DIR
"""
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

CLI, SHARED = sys.argv[1], sys.argv[2]
DESIGN = ["--main-trials", "2", "--catch-trials", "1"]
TOTAL = 2 + 3 + 3 + 2  # none_pre, natural, optimized, none_post


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


class Browser:
    """Headless Chromium; DevTools messages are JSON separated by NUL bytes on fds 3 (in) and 4 (out)."""

    def __init__(self, profile):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def child_fds():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-pipe", "--user-data-dir=" + profile, "about:blank"],
            # close_fds runs after preexec_fn: 3 and 4 (open in this process too) must be kept.
            pass_fds=(to_chrome_r, from_chrome_w, 3, 4), preexec_fn=child_fds,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0

    def call(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.time() + 30
        while time.time() < deadline:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.next_id:
                    if "error" in reply:
                        fail(method + ": " + json.dumps(reply["error"]))
                    return reply.get("result", {})
            chunk = os.read(self.from_chrome, 1 << 16)
            if not chunk:
                fail("chromium exited")
            self.buffer += chunk
        fail("no reply to " + method)

    def open(self, url, context=None):
        params = {"url": url}
        if context:
            params["browserContextId"] = context
        target = self.call("Target.createTarget", params)["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        return target, session

    def evaluate(self, session, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True},
                           session)
        return result.get("result", {}).get("value")

    def wait_for(self, session, expression, what, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.evaluate(session, expression)
            if value:
                return value
            time.sleep(0.05)
        fail("timed out waiting for " + what + "; page: " + str(self.evaluate(session, "document.body.innerText.slice(0, 300)")))

    def key(self, session, key):
        code = {" ": "Space"}.get(key, "Digit" + key)
        for kind in ("keyDown", "keyUp"):
            params = {"type": kind, "key": key, "code": code}
            if kind == "keyDown":
                params["text"] = key
            self.call("Input.dispatchKeyEvent", params, session)

    def close(self):
        self.proc.kill()
        self.proc.wait()


def visible(element_id):
    return "document.getElementById('%s').style.display === 'block'" % element_id


def answer_trials(browser, session, first, last):
    """Answers trials first..last-1 with keys, taking breaks with the space bar."""
    for trial in range(first, last):
        browser.wait_for(session, "(%s || %s)" % (visible("pause"), "document.body.dataset.trial === '%d' && %s" % (trial, visible("trial"))),
                         "trial %d" % trial)
        if browser.evaluate(session, visible("pause")):
            browser.key(session, " ")
            browser.wait_for(session, "document.body.dataset.trial === '%d' && %s" % (trial, visible("trial")), "trial %d after the break" % trial)
        browser.key(session, str(1 + trial % 6))
    browser.wait_for(session, "document.body.dataset.trial !== '%d' || %s || %s" % (last - 1, visible("done"), visible("pause")),
                     "the last answer")


def main():
    work = tempfile.mkdtemp(prefix="robustlab-experiment-browser-")
    db = os.path.join(work, "results.db")
    stimuli = os.path.join(work, "stimuli")
    model = os.path.join(SHARED, "reference/fmn/fmnist_cnn.pt")
    subprocess.run([CLI, "--db", db, "-q", "experiment", "stimuli", "--model", model, "--units", "conv2:0,conv2:1",
                    "--limit", "400", "--batches", "2", "--steps", "10", "--out", stimuli], check=True)
    server = subprocess.Popen([CLI, "--db", db, "experiment", "serve", "--stimuli", stimuli, "--port", "0"] + DESIGN,
                              stdout=subprocess.PIPE, text=True)
    base = operator = None
    for line in server.stdout:
        m = re.match(r"participants: (http://\S+)/", line)
        base = m.group(1) if m else base
        m = re.match(r"operator:\s+(\S+)", line)
        operator = m.group(1) if m else operator
        if line.startswith("Ctrl-C"):
            break
    if not base or not operator:
        fail("the server did not print its addresses")
    browser = Browser(os.path.join(work, "profile"))
    try:
        # Participant A: consent (mouse), instructions (space), the first half of the session.
        target, page = browser.open(base + "/")
        browser.wait_for(page, visible("consent"), "the consent page")
        browser.evaluate(page, "document.getElementById('agree').click()")
        browser.wait_for(page, visible("instructions"), "the instructions")
        browser.key(page, " ")
        half = TOTAL // 2
        answer_trials(browser, page, 0, half)
        # The tab closes; a new one resumes at the next trial.
        browser.call("Target.closeTarget", {"targetId": target})
        target, page = browser.open(base + "/")
        browser.wait_for(page, "(document.body.dataset.trial === '%d' && %s) || %s" % (half, visible("trial"), visible("pause")),
                         "the resumed session at trial %d" % half)
        answer_trials(browser, page, half, TOTAL)
        browser.wait_for(page, visible("done"), "the end of the session")

        # Participant B: a fresh context has no cookie and starts at the beginning; it sees only its own trial.
        context = browser.call("Target.createBrowserContext")["browserContextId"]
        _, other = browser.open(base + "/", context)
        browser.wait_for(other, visible("consent"), "B's consent page")
        browser.evaluate(other, "document.getElementById('agree').click()")
        browser.wait_for(other, visible("instructions"), "B's instructions")
        browser.key(other, " ")
        answer_trials(browser, other, 0, 2)
        state = browser.evaluate(other, "fetch('/api/trial').then(r => r.json())")
        if state.get("trial") != 2 or state.get("total") != TOTAL:
            fail("B should be at its own trial 2, got " + json.dumps(state))
        status = browser.evaluate(other, "fetch('/operator').then(r => r.status)")
        if status != 403:
            fail("the operator page answered B with %s" % status)
    finally:
        browser.close()
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)

    answers = sqlite3.connect(db).execute("SELECT COUNT(*), COUNT(DISTINCT participant_id || '/' || trial) FROM responses").fetchone()
    if answers != (TOTAL + 2, TOTAL + 2):
        fail("the store holds %s answers (distinct: %s), expected %d" % (answers[0], answers[1], TOTAL + 2))
    out = subprocess.run([CLI, "--db", db, "--json", "experiment", "analyze", "--stimuli", stimuli] + DESIGN,
                         check=True, capture_output=True, text=True).stdout
    result = json.loads(out)
    # Main, non-catch trials: A answered 2 in every block; B the 2 of none_pre.
    expected = {"none_pre": (4, 2), "natural": (2, 1), "optimized": (2, 1), "none_post": (2, 1)}
    for condition, (trials, participants) in expected.items():
        got = result.get(condition, {})
        if got.get("trials") != trials or got.get("participants") != participants:
            fail("analyze: %s has %s, expected %d trials of %d participants" % (condition, json.dumps(got), trials, participants))
    print("ok: %d answers through the page, resumed after closing the tab, analysed" % (TOTAL + 2))


main()
