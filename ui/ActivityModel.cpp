#include "ui/ActivityModel.h"

#include "ui/Widgets.h"

#include <QDateTime>
#include <QGuiApplication>
#include <QPalette>

namespace l402::ui {

ActivityModel::ActivityModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void ActivityModel::setService(service::WalletService* service)
{
    m_service = service;
    if (!service) { // locked: nothing of the history stays on screen
        ++m_generation;
        beginResetModel();
        m_count = 0;
        m_pages.clear();
        m_recent.clear();
        m_pending.clear();
        endResetModel();
        return;
    }
    reload();
}

void ActivityModel::setFilter(const service::ActivityFilter& filter)
{
    if (filter == m_filter) {
        return;
    }
    m_filter = filter;
    reload();
}

void ActivityModel::reload()
{
    if (!m_service) {
        return;
    }
    const quint64 generation = ++m_generation;
    const service::ActivityFilter filter = m_filter;
    service::ask(
        m_service.data(), this,
        [filter](service::WalletService& wallet) { return wallet.activityCount(filter); },
        [this, generation](Result<qint64> count) {
            if (generation != m_generation) {
                return;
            }
            if (!count) {
                Q_EMIT failed(count.error().message);
                return;
            }
            beginResetModel();
            m_count = count.value();
            m_pages.clear();
            m_recent.clear();
            m_pending.clear();
            endResetModel();
            Q_EMIT reloaded(m_count);
        });
}

int ActivityModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(std::min<qint64>(m_count, std::numeric_limits<int>::max()));
}

int ActivityModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : service::kActivityColumns;
}

QString ActivityModel::kindText(const QString& kind)
{
    if (kind == QLatin1String("paid")) {
        return tr("Paid");
    }
    if (kind == QLatin1String("refused")) {
        return tr("Refused");
    }
    if (kind == QLatin1String("denied")) {
        return tr("Denied");
    }
    if (kind == QLatin1String("timed_out")) {
        return tr("Timed out");
    }
    if (kind == QLatin1String("failed")) {
        return tr("Failed");
    }
    if (kind == QLatin1String("pending")) {
        return tr("Pending");
    }
    if (kind == QLatin1String("recovered")) {
        return tr("Recovered");
    }
    return kind;
}

void ActivityModel::touch(int page) const
{
    m_recent.removeOne(page);
    m_recent.append(page);
}

std::optional<service::ActivityRow> ActivityModel::rowAt(int row) const
{
    const auto found = m_pages.constFind(row / kPageSize);
    if (found == m_pages.constEnd() || row % kPageSize >= found->size()) {
        return std::nullopt;
    }
    return found->at(row % kPageSize);
}

void ActivityModel::requestPage(int page) const
{
    if (!m_service || m_pending.contains(page)) {
        return;
    }
    m_pending.insert(page);
    ++m_pagesRequested;
    const quint64 generation = m_generation;
    const service::ActivityFilter filter = m_filter;
    const service::ActivitySort order = m_sort;
    auto* self = const_cast<ActivityModel*>(this);
    service::ask(
        m_service.data(), self,
        [filter, order, page](service::WalletService& wallet) {
            return wallet.activityPage(filter, order, qint64(page) * kPageSize, kPageSize);
        },
        [self, generation, page](Result<QList<service::ActivityRow>> rows) {
            if (generation != self->m_generation) {
                return;
            }
            self->m_pending.remove(page);
            if (!rows) {
                Q_EMIT self->failed(rows.error().message);
                return;
            }
            self->m_pages.insert(page, rows.value());
            self->touch(page);
            while (self->m_recent.size() > kMaxCachedPages) {
                self->m_pages.remove(self->m_recent.takeFirst());
            }
            const int first = page * kPageSize;
            const int last = std::min(self->rowCount() - 1, first + kPageSize - 1);
            if (last >= first) {
                Q_EMIT self->dataChanged(self->index(first, 0),
                                         self->index(last, service::kActivityColumns - 1));
            }
            Q_EMIT self->pageLoaded(page);
        });
}

QVariant ActivityModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const int page = index.row() / kPageSize;
    const auto found = m_pages.constFind(page);
    if (found == m_pages.constEnd()) {
        if (role == Qt::DisplayRole) {
            requestPage(page);
            return index.column() == 0 ? QVariant(tr("Loading…")) : QVariant();
        }
        return {};
    }
    if (index.row() % kPageSize >= found->size()) {
        return {}; // the history shrank under this page (rows are only added, but be safe)
    }
    if (m_recent.isEmpty() || m_recent.constLast() != page) {
        touch(page);
    }
    const service::ActivityRow& row = found->at(index.row() % kPageSize);
    const auto column = static_cast<service::ActivityColumn>(index.column());
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case service::ActivityColumn::Time:
            return QDateTime::fromSecsSinceEpoch(row.at).toString(
                QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        case service::ActivityColumn::Site:
            return row.origin;
        case service::ActivityColumn::Agent:
            return row.agent.isEmpty() ? tr("(wallet)") : row.agent;
        case service::ActivityColumn::Amount:
            return satText(row.amountMsat);
        case service::ActivityColumn::Fee:
            return row.feeMsat ? satText(row.feeMsat) : QString();
        case service::ActivityColumn::Status:
            return kindText(row.kind);
        case service::ActivityColumn::Reason:
            return row.kind == QLatin1String("paid") ? QString() : row.message;
        }
        return {};
    case Qt::ToolTipRole:
        return column == service::ActivityColumn::Reason && !row.message.isEmpty()
                   ? QVariant(row.message)
                   : QVariant();
    case Qt::TextAlignmentRole:
        return column == service::ActivityColumn::Amount || column == service::ActivityColumn::Fee
                   ? QVariant(int(Qt::AlignRight | Qt::AlignVCenter))
                   : QVariant();
    case Qt::ForegroundRole:
        if (column == service::ActivityColumn::Status && row.kind != QLatin1String("paid") &&
            row.kind != QLatin1String("recovered") && row.kind != QLatin1String("pending")) {
            // Readable on light and dark backgrounds alike.
            return QColor(QGuiApplication::palette().color(QPalette::Window).lightness() > 128
                              ? QColor(0xb3, 0x26, 0x1e)
                              : QColor(0xff, 0x8a, 0x80));
        }
        return {};
    case EventIdRole:
        return row.eventId;
    case KindRole:
        return row.kind;
    case PaymentIdRole:
        return row.paymentId;
    default:
        return {};
    }
}

QVariant ActivityModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    switch (static_cast<service::ActivityColumn>(section)) {
    case service::ActivityColumn::Time:
        return tr("Time");
    case service::ActivityColumn::Site:
        return tr("Site");
    case service::ActivityColumn::Agent:
        return tr("Agent");
    case service::ActivityColumn::Amount:
        return tr("Amount");
    case service::ActivityColumn::Fee:
        return tr("Fee");
    case service::ActivityColumn::Status:
        return tr("Status");
    case service::ActivityColumn::Reason:
        return tr("Reason");
    }
    return {};
}

void ActivityModel::sort(int column, Qt::SortOrder order)
{
    if (column < 0 || column >= service::kActivityColumns) {
        return;
    }
    const service::ActivitySort wanted{static_cast<service::ActivityColumn>(column),
                                       order == Qt::DescendingOrder};
    if (wanted.column == m_sort.column && wanted.descending == m_sort.descending) {
        return;
    }
    m_sort = wanted;
    reload();
}

} // namespace l402::ui
