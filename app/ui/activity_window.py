"""What editors did through the gateway: one line for the menu and tooltip, and the Activity window (a table
per client and a per-minute chart of the last hour). Everything comes from the gateway's counts of real
traffic, published with each status; nothing here sends a request."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.controller import ClientActivity, Controller, Traffic
from app.supervisor.state import Status


def columns() -> list[str]:
    return [
        QCoreApplication.translate("Activity", "Client"),
        QCoreApplication.translate("Activity", "Last hour"),
        QCoreApplication.translate("Activity", "In flight"),
        QCoreApplication.translate("Activity", "Errors"),
        QCoreApplication.translate("Activity", "Blocked"),
        QCoreApplication.translate("Activity", "First byte (p50)"),
        QCoreApplication.translate("Activity", "Last seen"),
    ]


def ago(then: float, now: float | None = None) -> str:
    seconds = max((time.time() if now is None else now) - then, 0)
    if seconds < 60:
        return QCoreApplication.translate("Activity", "just now")
    if seconds < 3600:
        return QCoreApplication.translate("Activity", "{minutes} min ago").format(minutes=int(seconds // 60))
    return QCoreApplication.translate("Activity", "{hours} h ago").format(hours=int(seconds // 3600))


def client_line(client: ClientActivity, now: float | None = None) -> str:
    """`Zed · 14 requests in the last hour · last 2 min ago`"""
    if client.last_hour == 1:
        count = QCoreApplication.translate("Activity", "1 request in the last hour")
    else:
        count = QCoreApplication.translate("Activity", "{n} requests in the last hour").format(n=client.last_hour)
    last = QCoreApplication.translate("Activity", "last {ago}").format(ago=ago(client.last_seen, now))
    return f"{client.name} · {count} · {last}"


def activity_line(traffic: Traffic | None, now: float | None = None) -> str | None:
    """The menu's and tooltip's line: the client seen last, or that none came; None without a gateway."""
    if traffic is None:
        return None
    if not traffic.clients:
        return QCoreApplication.translate("Activity", "No editor requests yet")
    line = client_line(traffic.clients[0], now)
    others = len(traffic.clients) - 1
    more = QCoreApplication.translate("Activity", "(+{n} more)").format(n=others)
    return line if others == 0 else f"{line} {more}"


class MinuteChart(QWidget):
    """Requests per minute over the last hour, oldest on the left: a bar per minute."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts: tuple[int, ...] = ()
        self.setMinimumHeight(90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(QCoreApplication.translate("Activity", "Requests per minute, last hour"))

    def set_counts(self, counts: Sequence[int]) -> None:
        counts = tuple(counts)
        if counts != self.counts:
            self.counts = counts
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            area = QRectF(self.rect()).adjusted(4, 4, -4, -16)
            palette = self.palette()
            painter.setPen(palette.color(QPalette.ColorRole.Mid))
            painter.drawLine(area.bottomLeft(), area.bottomRight())
            top = max(self.counts, default=0)
            painter.setPen(palette.color(QPalette.ColorRole.Text))
            axis = QRectF(area.left(), area.bottom() + 2, area.width(), 14)
            painter.drawText(axis, Qt.AlignmentFlag.AlignLeft, QCoreApplication.translate("Activity", "60 min ago"))
            painter.drawText(axis, Qt.AlignmentFlag.AlignRight, QCoreApplication.translate("Activity", "now"))
            if not self.counts or top == 0:
                return
            width = area.width() / len(self.counts)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(palette.color(QPalette.ColorRole.Highlight)))
            for index, count in enumerate(self.counts):
                if count:
                    height = max(area.height() * count / top, 1.0)
                    left = area.left() + index * width
                    painter.drawRect(QRectF(left + 0.5, area.bottom() - height, max(width - 1, 1), height))
        finally:
            painter.end()


class ActivityWindow(QWidget):
    """Per-client activity and the per-minute chart, following the statuses the controller publishes."""

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.controller = controller
        self.setWindowTitle(QCoreApplication.translate("Activity", "llm-link activity"))
        self.resize(720, 360)
        self.summary = QLabel()
        self.chart = MinuteChart()
        headers = columns()
        self.table = QTableWidget(0, len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        refresh = QPushButton(QCoreApplication.translate("Activity", "Refresh"))
        refresh.clicked.connect(controller.refresh)
        layout = QVBoxLayout(self)
        for widget in (self.summary, self.chart, self.table, refresh):
            layout.addWidget(widget)
        self._leave: Callable[[], None] | None = None
        self.show_status(controller.status)

    def showEvent(self, event: object) -> None:
        if self._leave is None:
            self._leave = self.controller.subscribe(self.show_status)
            self.controller.refresh()  # fresh counts for the window being looked at

    def closeEvent(self, event: object) -> None:
        if self._leave is not None:
            self._leave()
            self._leave = None

    def show_status(self, status: Status) -> None:
        traffic = status.traffic
        if traffic is None:
            self.summary.setText(QCoreApplication.translate("Activity", "No activity: the gateway is not answering."))
            self.chart.set_counts(())
            self.table.setRowCount(0)
            return
        summary = QCoreApplication.translate("Activity", "{n} requests in the last hour, {busy} in flight")
        self.summary.setText(summary.format(n=traffic.last_hour, busy=traffic.in_flight))
        self.chart.set_counts(traffic.per_minute)
        now = time.time()
        self.table.setRowCount(len(traffic.clients))
        for row, client in enumerate(traffic.clients):
            ttfb = f"{client.ttfb_ms_p50:.0f} ms" if client.ttfb_ms_p50 is not None else "-"
            cells = (
                client.name,
                str(client.last_hour),
                str(client.in_flight),
                str(client.errors),
                str(client.blocked),
                ttfb,
                ago(client.last_seen, now),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 0:
                    item.setToolTip(client.client)  # the whole User-Agent
                self.table.setItem(row, column, item)
