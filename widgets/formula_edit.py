"""Typing your own landscape: a formula field ``f(x, y) =`` and the view ``x0, x1, y0, y1``.

The widget only shows: each keystroke is announced (``typed``) so that the application can check
the formula with the engine and answer with :meth:`FormulaEdit.show_error` (the bad part is
underlined with a red wave and the reason printed below) or :meth:`FormulaEdit.clear_error`.
A formula without an error is submitted (``submitted(text, view)``) on Enter, when the field
loses focus, or after a short pause in typing.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from widgets.log_slider import mark_invalid

#: milliseconds of no typing after which a formula without errors is submitted
PAUSE_MS = 700
ERROR_COLOR = "#c62828"
VIEW_HINT = "The window drawn and searched for minima: x0, x1, y0, y1"


class _FormulaText(QPlainTextEdit):
    """A plain-text field that wraps long formulas but takes Enter as "apply", not a new line."""

    entered = Signal()
    left = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.entered.emit()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: object) -> None:
        super().focusOutEvent(event)  # type: ignore[arg-type]
        self.left.emit()

    def insertFromMimeData(self, source: object) -> None:
        text = source.text().replace("\r", " ").replace("\n", " ")  # type: ignore[attr-defined]
        self.textCursor().insertText(text)


class FormulaEdit(QWidget):
    """The formula and view fields with the error under them.

    Signals: ``typed(str)`` on every edit of the formula; ``submitted(str formula, list view)``
    when a formula without an error is applied; ``message(str)`` when the view is refused.
    """

    typed = Signal(str)
    submitted = Signal(str, list)
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._error: tuple[int, int, str] | None = None
        self._submitted: tuple[str, tuple[float, ...]] | None = None
        self._view: tuple[float, float, float, float] = (-1.0, 1.0, -1.0, 1.0)
        self._text = _FormulaText()
        self._text.setObjectName("formula")
        self._text.setToolTip("f(x, y): x, y, numbers, pi, e, + − * / **, sin cos tan exp log "
                              "sqrt abs tanh sigmoid softplus min max where(condition, a, b)")
        self._text.setPlaceholderText("e.g. (1 - x)**2 + 100*(y - x**2)**2")
        self._text.setTabChangesFocus(True)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self._text.setFont(mono)
        self._text.setFixedHeight(self._text.fontMetrics().lineSpacing() * 3 + 12)
        self._view_field = QLineEdit()
        self._view_field.setObjectName("view")
        self._view_field.setToolTip(VIEW_HINT)
        self._error_label = QLabel()
        self._error_label.setObjectName("formula_error")
        self._error_label.setWordWrap(True)
        self._error_label.setTextFormat(Qt.TextFormat.PlainText)
        self._error_label.setStyleSheet(f"color: {ERROR_COLOR};")
        self._error_label.setVisible(False)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("f(x, y) =", self._text)
        form.addRow("view", self._view_field)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(form)
        layout.addWidget(self._error_label)
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(PAUSE_MS)
        self._pause.timeout.connect(self.submit)
        self._text.textChanged.connect(self._changed)
        self._text.entered.connect(self.submit)
        self._text.left.connect(self.submit)
        self._view_field.editingFinished.connect(self.submit)

    # --- public API -----------------------------------------------------------------------
    def set_formula(self, text: str, view: Sequence[float]) -> None:
        """Show ``text`` and ``view`` as the applied formula (no signals, no error)."""
        self._pause.stop()
        self._view = tuple(float(v) for v in view)[:4]  # type: ignore[assignment]
        with QSignalBlocker(self._text):
            if self._text.toPlainText() != text:
                self._text.setPlainText(text)
                self._text.moveCursor(QTextCursor.MoveOperation.End)  # typing goes on at the end
        self._view_field.setText(", ".join(f"{v:g}" for v in self._view))
        mark_invalid(self._view_field, None, VIEW_HINT)
        self.clear_error()
        self._submitted = (text, self._view)

    def formula(self) -> str:
        """The formula as typed."""
        return self._text.toPlainText()

    def view(self) -> list[float]:
        """The view as last accepted."""
        return list(self._view)

    def show_error(self, position: int, length: int, message: str) -> None:
        """Underline ``length`` characters from ``position`` and print ``message`` below."""
        self._error = (position, length, message)
        self._pause.stop()
        self._error_label.setText(message)
        self._error_label.setVisible(True)
        self._underline(position, length)

    def clear_error(self) -> None:
        """Remove the underline and the message."""
        self._error = None
        self._error_label.clear()
        self._error_label.setVisible(False)
        self._text.setExtraSelections([])

    def error(self) -> tuple[int, int, str] | None:
        """The error shown: position, length and message (None when there is none)."""
        return self._error

    def submit(self) -> None:
        """Apply the formula and view now if the formula has no error and something changed."""
        self._pause.stop()
        view = self._read_view()
        if view is None or self._error is not None:
            return
        text = self.formula()
        if self._submitted == (text, view):
            return
        self._submitted = (text, view)
        self.submitted.emit(text, list(view))

    def text_field(self) -> QPlainTextEdit:
        """The formula field (for tests and focus)."""
        return self._text

    def view_field(self) -> QLineEdit:
        """The view field (for tests and focus)."""
        return self._view_field

    # --- internals ------------------------------------------------------------------------
    def _changed(self) -> None:
        self.typed.emit(self.formula())  # the application answers with show/clear_error
        if self._error is None:
            self._pause.start()

    def _read_view(self) -> tuple[float, ...] | None:
        parts = [p for p in self._view_field.text().replace(";", ",").split(",") if p.strip()]
        try:
            view = tuple(float(p) for p in parts)
        except ValueError:
            view = ()
        if len(view) != 4:
            message = "view: four numbers x0, x1, y0, y1, e.g. -2, 2, -1, 3"
            mark_invalid(self._view_field, message, VIEW_HINT)
            self.message.emit(message)
            return None
        mark_invalid(self._view_field, None, VIEW_HINT)
        self._view = view  # type: ignore[assignment]
        return view

    def _underline(self, position: int, length: int) -> None:
        size = len(self.formula())
        start = max(0, min(position, size))
        end = max(start, min(start + max(length, 1), size))
        selection = QTextEdit.ExtraSelection()
        cursor = QTextCursor(self._text.document())
        if start == end:  # the error is at the end (e.g. an unclosed bracket): mark the last one
            start = max(0, end - 1)
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        fmt = QTextCharFormat()
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        fmt.setUnderlineColor(QColor(ERROR_COLOR))
        fmt.setBackground(QColor(ERROR_COLOR).lighter(190))
        selection.cursor = cursor
        selection.format = fmt
        self._text.setExtraSelections([selection])
