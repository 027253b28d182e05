"""The list of runs: which are on, their colours, labels, optimizers, settings and status.

:class:`RunTable` shows plain dict rows given by :meth:`RunTable.set_rows`::

    {"label": "Adam", "optimizer": "Adam", "color": "#1f77b4", "enabled": True,
     "summary": "lr=0.001 β=(0.9, 0.999)", "status": "ok"}

It is a view: a user's edit emits a signal with the row index and the new value, and the table
shows what the user did until the application answers with ``set_rows`` (which may also undo it).

Columns: on/off, colour swatch, run (the label, with the settings summary in small type below
it), optimizer, status. Label and settings share a column so that the table fits a 320 px
sidebar; text wraps between words instead of being cut off.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSignalBlocker,
    QSize,
    Qt,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QIcon,
    QKeySequence,
    QPainter,
    QPalette,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QColorDialog,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

ENABLED, COLOR, LABEL, OPTIMIZER, STATUS = range(5)
HEADERS = {
    ENABLED: ("", "On: include this run"),
    COLOR: ("", "Colour of the run's path and curves (click to change)"),
    LABEL: ("Run", "The run's label (double-click to edit) and its hyperparameters"),
    OPTIMIZER: ("Optimizer", "torch.optim optimizer (click to change)"),
    STATUS: ("Status", "How the run is going"),
}
#: item data role of the label cell that holds the hyperparameter summary
SUMMARY_ROLE = Qt.ItemDataRole.UserRole + 1
DIVERGED_COLOR = QColor("#c62828")
ModelIndex = QModelIndex | QPersistentModelIndex


def _display(key: str, row: Mapping[str, Any]) -> str:
    """The text shown for ``row[key]``; settings keep ``(0.9, 0.999)`` on one line."""
    text = str(row.get(key, "") or "")
    return text.replace(", ", ",\u00a0") if key == "summary" else text


def swatch(color: str, size: int = 14) -> QIcon:
    """A small square of ``color`` with a thin dark border."""
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(color))
    painter = QPainter(pixmap)
    painter.setPen(QColor(0, 0, 0, 110))
    painter.drawRect(0, 0, size - 1, size - 1)
    painter.end()
    return QIcon(pixmap)


class RunDelegate(QStyledItemDelegate):
    """Paints a run's label with its settings below in smaller text; edits only the label.

    Both lines wrap between words to the column's width, so a narrow sidebar loses nothing.
    """

    PAD = 4
    FLAGS = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        label, summary = opt.text, str(index.data(SUMMARY_ROLE) or "")
        opt.text = ""
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        label_rect, summary_rect = self._rects(opt, label, summary)
        painter.save()
        painter.setFont(opt.font)
        painter.setPen(self._color(opt, index, selected, QPalette.ColorRole.Text))
        painter.drawText(label_rect, self.FLAGS, label)
        painter.setFont(self.small_font(opt.font))
        painter.setPen(self._color(opt, index, selected, QPalette.ColorRole.PlaceholderText))
        painter.drawText(summary_rect, self.FLAGS, summary)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        summary = str(index.data(SUMMARY_ROLE) or "")
        label_rect, summary_rect = self._rects(opt, opt.text, summary)
        one_line = max(
            opt.fontMetrics.horizontalAdvance(opt.text),
            QFontMetrics(self.small_font(opt.font)).horizontalAdvance(summary),
        )
        height = summary_rect.bottom() - label_rect.top() + self.PAD + 2
        return QSize(one_line + 2 * self.PAD, height)

    def updateEditorGeometry(
        self, editor: QWidget, option: QStyleOptionViewItem, index: ModelIndex
    ) -> None:
        """The label editor covers the label line only, not the settings below it."""
        height = min(option.rect.height(), editor.sizeHint().height())
        editor.setGeometry(QRect(option.rect.topLeft(), QSize(option.rect.width(), height)))

    def _rects(self, opt: QStyleOptionViewItem, label: str, summary: str) -> tuple[QRect, QRect]:
        """Where the label and the settings go: one block, centred vertically in the cell."""
        width = opt.rect.width() - 2 * self.PAD if opt.rect.width() > 0 else 10_000
        bounds = QRect(0, 0, width, 10_000)
        label_height = opt.fontMetrics.boundingRect(bounds, self.FLAGS, label).height()
        small = QFontMetrics(self.small_font(opt.font))
        summary_height = small.boundingRect(bounds, self.FLAGS, summary).height() if summary else 0
        block = label_height + 1 + summary_height
        top = opt.rect.top() + max(self.PAD // 2, (opt.rect.height() - block) // 2)
        label_rect = QRect(opt.rect.left() + self.PAD, top, width, label_height)
        summary_rect = QRect(label_rect.left(), label_rect.bottom() + 2, width, summary_height)
        return label_rect, summary_rect

    @staticmethod
    def small_font(font: QFont) -> QFont:
        """The settings' font: a little smaller than the label's."""
        small = QFont(font)
        small.setPointSizeF(font.pointSizeF() * 0.88)
        return small

    @staticmethod
    def _color(
        opt: QStyleOptionViewItem, index: ModelIndex, selected: bool, role: QPalette.ColorRole
    ) -> QColor:
        if selected:
            return opt.palette.color(QPalette.ColorRole.HighlightedText)
        foreground = index.data(Qt.ItemDataRole.ForegroundRole)
        if isinstance(foreground, QBrush | QColor):  # a run that is off: all grey
            return QBrush(foreground).color()
        return opt.palette.color(role)


class OptimizerDelegate(QStyledItemDelegate):
    """Shows the optimizer's name with a small ▾, and edits it with a combo box of names."""

    ARROW = 12

    def __init__(self, names: Callable[[], list[str]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._names = names

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: ModelIndex
    ) -> QWidget:
        combo = QComboBox(parent)
        combo.addItems(self._names())
        combo.textActivated.connect(lambda _text: self._finish(combo))
        return combo

    def setEditorData(self, editor: QWidget, index: ModelIndex) -> None:
        if isinstance(editor, QComboBox):
            current = str(index.data() or "")
            if editor.findText(current) < 0:
                editor.addItem(current)
            editor.setCurrentText(current)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: ModelIndex) -> None:
        if isinstance(editor, QComboBox) and editor.currentText() != index.data():
            model.setData(index, editor.currentText())

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        super().paint(painter, option, index)
        arrow = QStyleOptionViewItem(option)
        arrow.rect = QRect(
            option.rect.right() - self.ARROW,
            option.rect.top(),
            self.ARROW - 2,
            option.rect.height(),
        )
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_IndicatorArrowDown, arrow, painter)

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        return super().sizeHint(option, index) + QSize(self.ARROW, 0)

    def _finish(self, combo: QComboBox) -> None:
        self.commitData.emit(combo)
        self.closeEditor.emit(combo)


class RunTable(QWidget):
    """A table of runs with Add, Duplicate and Remove buttons above it.

    Signals (``int`` is the row index): ``run_selected(int)`` (``-1``: none), ``add_requested()``,
    ``duplicate_requested(int)``, ``remove_requested(int)``, ``enabled_changed(int, bool)``,
    ``label_changed(int, str)``, ``optimizer_changed(int, str)``, ``color_changed(int, str)``
    (``#rrggbb``).
    """

    run_selected = Signal(int)
    add_requested = Signal()
    duplicate_requested = Signal(int)
    remove_requested = Signal(int)
    enabled_changed = Signal(int, bool)
    label_changed = Signal(int, str)
    optimizer_changed = Signal(int, str)
    color_changed = Signal(int, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[dict[str, Any]] = []
        self._optimizer_names: list[str] = []
        self._selected = -1
        self._quiet = False  # selection changes made by the program, not the user
        self._table = self._make_table()
        self.add_button = self._button("Add", QIcon.ThemeIcon.ListAdd, "Add a run")
        self.duplicate_button = self._button(
            "Duplicate", QIcon.ThemeIcon.EditCopy, "Add a copy of the selected run"
        )
        self.remove_button = self._button(
            "Remove", QIcon.ThemeIcon.ListRemove, "Remove the selected run (Delete)"
        )
        self.add_button.clicked.connect(self.add_requested)
        self.duplicate_button.clicked.connect(lambda: self._request(self.duplicate_requested))
        self.remove_button.clicked.connect(lambda: self._request(self.remove_requested))
        self._layout_parts()
        self._update_buttons()

    # --- public API -----------------------------------------------------------------------
    def set_rows(self, rows: list[Mapping[str, Any]]) -> None:
        """Show ``rows``; the selected row stays selected if it still exists.

        If it does not (it was removed), the last row is selected and ``run_selected`` is
        emitted for it (``-1`` when the table is now empty). Nothing else is emitted.
        """
        previous = self._selected
        self._rows = [dict(row) for row in rows]
        with QSignalBlocker(self._table):
            self._table.setRowCount(len(self._rows))
            for index in range(len(self._rows)):
                self._fill_row(index)
        self._fit_columns()
        if previous < len(self._rows):
            self.select_row(previous)
        else:
            self.select_row(len(self._rows) - 1)
            self.run_selected.emit(self._selected)

    def rows(self) -> list[dict[str, Any]]:
        """Copies of the rows last given to :meth:`set_rows` (with later ``set_status`` texts)."""
        return [dict(row) for row in self._rows]

    def set_status(self, index: int, text: str) -> None:
        """Show ``text`` as the status of row ``index`` (ignored if there is no such row)."""
        self.set_statuses({index: text})

    def set_statuses(self, texts: Mapping[int, str]) -> None:
        """Show each ``texts[index]`` as the status of row ``index`` (rows that do not exist are
        ignored); the columns are fitted once, not once a row (5–15 ms each here)."""
        rows = [index for index in texts if 0 <= index < len(self._rows)]
        for index in rows:
            self._rows[index]["status"] = texts[index]
            with QSignalBlocker(self._table):
                self._fill_row(index)
        if rows:
            self._fit_columns()

    def set_optimizer_names(self, names: list[str]) -> None:
        """The optimizers offered when the user changes a row's optimizer."""
        self._optimizer_names = list(names)

    def selected_row(self) -> int:
        """Index of the selected row, ``-1`` if none."""
        return self._selected

    def select_row(self, index: int) -> None:
        """Select row ``index`` (``-1`` or out of range: none); emits nothing."""
        self._selected = index if 0 <= index < len(self._rows) else -1
        self._quiet = True
        try:
            self._table.clearSelection()
            if self._selected >= 0:
                self._table.selectRow(self._selected)
        finally:
            self._quiet = False
        self._update_buttons()

    def table(self) -> QTableWidget:
        """The table itself (for tests and focus)."""
        return self._table

    # --- building ---------------------------------------------------------------------------
    def _make_table(self) -> QTableWidget:
        table = QTableWidget(0, len(HEADERS))
        for column, (text, tip) in HEADERS.items():
            item = QTableWidgetItem(text)
            item.setToolTip(tip)
            table.setHorizontalHeaderItem(column, item)
        table.verticalHeader().hide()
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        table.setWordWrap(True)
        table.setItemDelegateForColumn(LABEL, RunDelegate(table))
        table.setItemDelegateForColumn(
            OPTIMIZER, OptimizerDelegate(lambda: self._optimizer_names, table)
        )
        header = table.horizontalHeader()
        header.setMinimumSectionSize(22)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # see _fit_columns
        table.itemChanged.connect(self._item_changed)
        table.cellClicked.connect(self._cell_clicked)
        table.itemSelectionChanged.connect(self._selection_changed)
        table.viewport().installEventFilter(self)
        self._add_delete_shortcut(table)
        return table

    def _add_delete_shortcut(self, table: QTableWidget) -> None:
        remove = QAction("Remove run", table)
        remove.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        remove.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        remove.triggered.connect(lambda: self._request(self.remove_requested))
        table.addAction(remove)

    def _button(self, text: str, icon: QIcon.ThemeIcon, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        themed = QIcon.fromTheme(icon)
        if not themed.isNull():
            button.setIcon(themed)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        return button

    def _layout_parts(self) -> None:
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        for button in (self.add_button, self.duplicate_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(buttons)
        layout.addWidget(self._table)

    def _fit_columns(self) -> None:
        """Share the width so text wraps between words rather than being cut.

        Check box, swatch and optimizer get what they need; status and run get at least their
        longest word, then status room for one line; the run column takes what is left.
        Narrower than that, the table scrolls sideways.
        """
        table, header = self._table, self._table.horizontalHeader()
        widths = {ENABLED: 22, COLOR: 22}
        widths[OPTIMIZER] = max(
            table.sizeHintForColumn(OPTIMIZER), header.sectionSizeHint(OPTIMIZER)
        )
        widths[STATUS] = max(self._longest_word("status"), header.sectionSizeHint(STATUS))
        run = max(self._longest_word("label"), self._longest_word("summary"), 64)
        free = table.viewport().width() - sum(widths.values()) - run
        widths[STATUS] += max(0, min(free, table.sizeHintForColumn(STATUS) - widths[STATUS]))
        widths[LABEL] = max(run, table.viewport().width() - sum(widths.values()))
        for column, width in widths.items():
            header.resizeSection(column, width)
        table.resizeRowsToContents()

    def _longest_word(self, key: str) -> int:
        """Width of the longest unbreakable part of ``key``'s texts (plus cell padding)."""
        font = self._table.font()
        metrics = QFontMetrics(RunDelegate.small_font(font) if key == "summary" else font)
        words = (word for row in self._rows for word in _display(key, row).split(" "))
        padding = 2 * RunDelegate.PAD + 2 if key in ("label", "summary") else 12
        return max((metrics.horizontalAdvance(word) for word in words), default=0) + padding

    def _fill_row(self, index: int) -> None:
        """Show row ``index``, updating existing items in place.

        In place, because ``set_rows`` may be called from a handler of this very item's
        signal; replacing the item there would delete it under Qt's feet.
        """
        row = self._rows[index]
        on = bool(row.get("enabled", True))
        enabled = self._item(index, ENABLED, HEADERS[ENABLED][1], checkable=True)
        enabled.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        color = _display("color", row) or "#808080"
        self._item(index, COLOR, f"{color} — click to change").setIcon(swatch(color))
        label, summary = _display("label", row), _display("summary", row)
        run = self._item(index, LABEL, f"{label}\n{row.get('summary', '')}", editable=True)
        run.setText(label)
        run.setData(SUMMARY_ROLE, summary)
        for column, key in ((OPTIMIZER, "optimizer"), (STATUS, "status")):
            item = self._item(index, column, _display(key, row), editable=column == OPTIMIZER)
            item.setText(_display(key, row))
        for column in (LABEL, OPTIMIZER, STATUS):
            item = self._table.item(index, column)
            color_role = self._text_color(column, item.text(), on)
            item.setData(Qt.ItemDataRole.ForegroundRole, color_role)

    def _item(
        self, index: int, column: int, tip: str, editable: bool = False, checkable: bool = False
    ) -> QTableWidgetItem:
        item = self._table.item(index, column)
        if item is None:
            item = QTableWidgetItem()
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if editable:
                flags |= Qt.ItemFlag.ItemIsEditable
            if checkable:
                flags |= Qt.ItemFlag.ItemIsUserCheckable
            item.setFlags(flags)
            self._table.setItem(index, column, item)
        item.setToolTip(tip)
        return item

    def _text_color(self, column: int, text: str, on: bool) -> QColor | None:
        """Red for a diverged run, grey for a run that is off, else the style's own colour."""
        if column == STATUS and "diverged" in text.lower():
            return DIVERGED_COLOR
        return None if on else self.palette().color(QPalette.ColorRole.PlaceholderText)

    # --- user edits -----------------------------------------------------------------------
    def _request(self, signal: SignalInstance) -> None:
        if self._selected >= 0:
            signal.emit(self._selected)

    def _item_changed(self, item: QTableWidgetItem) -> None:
        index, column = item.row(), item.column()
        if not 0 <= index < len(self._rows):
            return
        row = self._rows[index]
        if column == ENABLED:
            on = item.checkState() == Qt.CheckState.Checked
            if on != bool(row.get("enabled", True)):
                self.enabled_changed.emit(index, on)
        elif column == LABEL:
            self._label_edited(index, item)
        elif column == OPTIMIZER and item.text() != row.get("optimizer"):
            self.optimizer_changed.emit(index, item.text())

    def _label_edited(self, index: int, item: QTableWidgetItem) -> None:
        text, old = item.text().strip(), str(self._rows[index].get("label", ""))
        if not text or text == old:
            with QSignalBlocker(self._table):
                item.setText(old)  # an empty label is refused; keep the old one
            return
        self.label_changed.emit(index, text)

    def _cell_clicked(self, index: int, column: int) -> None:
        if not 0 <= index < len(self._rows):
            return
        if column == OPTIMIZER and self._table.state() != QAbstractItemView.State.EditingState:
            self._table.editItem(self._table.item(index, column))
        elif column == COLOR:
            self._choose_color(index)

    def _choose_color(self, index: int) -> None:
        old = str(self._rows[index].get("color", "#808080"))
        chosen = self._pick_color(QColor(old), index)
        if chosen is not None and chosen.isValid() and chosen.name() != old.lower():
            self.color_changed.emit(index, chosen.name())

    def _pick_color(self, initial: QColor, index: int) -> QColor | None:
        """Ask the user for a colour (a modal dialog); ``None`` when cancelled."""
        label = self._rows[index].get("label", "")
        color = QColorDialog.getColor(initial, self, f"Colour of {label}")
        return color if color.isValid() else None

    def _selection_changed(self) -> None:
        if self._quiet:
            return
        rows = self._table.selectionModel().selectedRows()
        index = rows[0].row() if rows else -1
        if index != self._selected:
            self._selected = index
            self._update_buttons()
            self.run_selected.emit(index)

    def _update_buttons(self) -> None:
        has_selection = self._selected >= 0
        self.duplicate_button.setEnabled(has_selection)
        self.remove_button.setEnabled(has_selection)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Refit the columns when the table is resized (the sidebar was dragged)."""
        if (
            watched is self._table.viewport()
            and isinstance(event, QResizeEvent)
            and event.size().width() != event.oldSize().width()
        ):
            self._fit_columns()
        return super().eventFilter(watched, event)
