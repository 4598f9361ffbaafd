#pragma once

#include "core/service/WalletService.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>
#include <QPointer>
#include <QSet>

#include <optional>

namespace l402::ui {

// Every payment and refusal, for the Activity table, read lazily from the wallet in pages.
//
// A history can hold millions of rows, so the model knows only the row count up front and
// asks the wallet's thread for a page when a view first wants a row of it; until the page
// arrives the row reads "Loading…". A bounded number of pages is kept (least recently used
// go first). Filtering and sorting are done by the database (an indexed WHERE and ORDER BY),
// not by a QSortFilterProxyModel, which would have to read every row to sort or filter them.
class ActivityModel : public QAbstractTableModel {
    Q_OBJECT
public:
    static constexpr int kPageSize = 200;
    static constexpr int kMaxCachedPages = 64;
    enum Role { EventIdRole = Qt::UserRole + 1, KindRole, PaymentIdRole };

    explicit ActivityModel(QObject* parent = nullptr);

    void setService(service::WalletService* service);
    void setFilter(const service::ActivityFilter& filter);
    const service::ActivityFilter& filter() const { return m_filter; }
    service::ActivitySort sortOrder() const { return m_sort; }
    // Counts again and drops the pages (after new activity, a filter or an order change).
    void reload();

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

    // The row if its page is loaded.
    std::optional<service::ActivityRow> rowAt(int row) const;
    int cachedPages() const { return int(m_pages.size()); }
    qint64 pagesRequested() const { return m_pagesRequested; }
    static QString kindText(const QString& kind);

Q_SIGNALS:
    // A reload's count arrived and the rows were reset.
    void reloaded(qint64 rows);
    void pageLoaded(int page);
    void failed(const QString& message);

private:
    void requestPage(int page) const;
    void touch(int page) const;

    QPointer<service::WalletService> m_service;
    service::ActivityFilter m_filter;
    service::ActivitySort m_sort;
    qint64 m_count = 0;
    quint64 m_generation = 0; // answers for an older filter or order are dropped
    mutable QHash<int, QList<service::ActivityRow>> m_pages;
    mutable QList<int> m_recent; // most recently used last
    mutable QSet<int> m_pending;
    mutable qint64 m_pagesRequested = 0;
};

} // namespace l402::ui
