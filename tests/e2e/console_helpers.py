"""Shared steps of the console's browser tests: sign in, wait, clean up an agent."""
from __future__ import annotations

import itertools

from tests.fixtures.browser import SCREENSHOTS  # noqa: F401  (re-exported: tests/artifacts/screenshots/)
from tests.fixtures.controller import hangup_callers
from tests.integration.test_acd import queues_loaded  # noqa: F401  (re-exported)
from tests.waiting import until

_numbers = itertools.count(1)

# Records in window.__popShownAt (epoch ms) when #pop-number first shows the expected number.
WATCH_POP = """number => {
  window.__popShownAt = null;
  const node = document.getElementById('pop-number');
  new MutationObserver(() => {
    if (window.__popShownAt === null && node.textContent === number) {
      window.__popShownAt = performance.timeOrigin + performance.now();
    }
  }).observe(node, {childList: true, characterData: true, subtree: true});
}"""


def new_number() -> str:
    return f"0906{next(_numbers):06d}"


def base_url(controller) -> str:
    return f"http://127.0.0.1:{controller.settings.http_port}"


async def sign_in(page, controller, ext: str, password: str | None = None, landing: str = "agent") -> None:
    """Signs in from the form; agents land on /agent, supervisors and admins on /supervisor."""
    await page.goto(base_url(controller) + "/")
    await page.fill("#ext", ext)
    await page.fill("#password", password or f"demo{ext}")
    await page.click("#login-submit")
    await page.wait_for_url(f"**/{landing}")
    await page.wait_for_selector("#live-status.on")


async def release_agent(controller, ext: str, numbers: list[str]) -> None:
    """Cleanup: let the agent's call end, hang up the test's callers, take the agent out of its queues."""
    service = controller.agents
    try:
        await until(lambda: service.state(ext).state not in ("on_call", "ringing"), 15, f"{ext} off the call")
    finally:
        for number in numbers:
            await hangup_callers(controller, number)
    if service.state(ext).state == "wrap_up":
        await service.wrapup_submitted(ext, service.state(ext).linkedid)
    if service.state(ext).logged_in:
        await service.logout(ext)
