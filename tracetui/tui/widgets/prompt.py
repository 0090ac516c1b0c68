"""A one-line prompt at the bottom (search, go to): Enter submits, Esc cancels."""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import Input


class Prompt(Input):
    """An Input that reports what was asked for with the text typed."""

    DEFAULT_CSS = "Prompt { dock: bottom; height: 1; border: none; padding: 0 1; display: none; }"

    class Answered(Message):
        def __init__(self, purpose: str, text: str | None) -> None:
            super().__init__()
            self.purpose = purpose
            self.text = text  # None: cancelled

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.purpose = ""

    def ask(self, purpose: str, placeholder: str) -> None:
        self.purpose = purpose
        self.placeholder = placeholder
        self.value = ""
        self.display = True
        self.focus()

    def _finish(self, text: str | None) -> None:
        self.display = False
        self.post_message(self.Answered(self.purpose, text))

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "escape":
            event.stop()
            event.prevent_default()
            self._finish(None)
            return
        await super()._on_key(event)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._finish(event.value)
