"""A one-line prompt at the bottom (search, go to): Enter submits, Esc cancels."""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input


class Prompt(Input):
    """An Input that reports what was asked for with the text typed."""

    DEFAULT_CSS = """
    Prompt { height: 1; border: none; padding: 0 1; display: none; }
    Prompt:focus { border: none; }
    """

    class Answered(Message):
        def __init__(self, purpose: str, text: str | None) -> None:
            super().__init__()
            self.purpose = purpose
            self.text = text  # None: cancelled

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.purpose = ""
        self._return_to: Widget | None = None

    def ask(self, purpose: str, placeholder: str) -> None:
        self.purpose = purpose
        self._return_to = self.screen.focused
        self.placeholder = placeholder
        self.value = ""
        self.display = True
        # Now, not after the queued events: keys typed right behind the one that opened
        # the prompt (a fast typist, keys batched over SSH) belong to the prompt.
        self.screen.set_focus(self)

    def _finish(self, text: str | None) -> None:
        self.display = False
        if self._return_to is not None:
            self.screen.set_focus(self._return_to)  # at once, for the keys typed next
        self.post_message(self.Answered(self.purpose, text))

    async def _on_key(self, event: events.Key) -> None:
        if not self.display:
            # Typed after Enter but queued here before the focus moved: hand it back to
            # the app, which gives it to the widget that has the focus now.
            event.stop()
            event.prevent_default()
            self.app.post_message(events.Key(event.key, event.character))
            return
        if event.key in ("escape", "enter"):
            # Finished here, not through Input's Submitted message: that would come after
            # keys already queued behind Enter.
            event.stop()
            event.prevent_default()
            self._finish(None if event.key == "escape" else self.value)
            return
        await super()._on_key(event)
