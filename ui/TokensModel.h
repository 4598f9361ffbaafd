#pragma once

#include "core/service/WalletService.h"

#include <QAbstractTableModel>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>
#include <utility>

namespace l402::ui {

// What the Tokens page shows of one token. It holds no preimage: the window never needs it
// except when the user copies a credential, and then asks the service for it alone.
struct TokenRow {
    qint64 id = 0;
    QString origin;
    QString agent;
    QString scheme;
    QStringList services;
    qint64 amountMsat = 0;
    qint64 createdAt = 0;
    std::optional<qint64> expiresAt;
    QString status; // active|expired|rejected, as the service saw it when listing
    QStringList caveatsInWords;
    QList<std::pair<QString, QString>> caveats;
    QString macaroonBase64;

    // Drops the secrets of `view` (runs on the service's thread, so they never cross).
    static TokenRow fromView(const service::TokenView& view);
    // The status at `now`: an active token past its expiry is expired.
    QString statusAt(qint64 now) const;
};

// Tokens grouped by site (origins in order, newest first within one), one row each. Display
// text in DisplayRole, the raw value (msat, seconds) in RawValueRole, the token id in
// TokenIdRole. The Expires column counts down from `now`, which the page advances.
// Implemented in TokensPage.cpp, beside the page that owns it.
class TokensModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Site, Services, Paid, Status, Expires, Bought, ColumnCount };
    enum Role { TokenIdRole = Qt::UserRole, RawValueRole };

    explicit TokensModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // Replaces every row (a model reset), sorted per origin.
    void setTokens(QList<TokenRow> tokens);
    // Moves the clock of the Status and Expires columns (dataChanged on those columns only).
    void setNow(qint64 secondsSinceEpoch);
    qint64 now() const { return m_now; }

    const TokenRow* tokenAt(int row) const;
    int rowOf(qint64 tokenId) const; // -1 when absent

private:
    QList<TokenRow> m_tokens;
    qint64 m_now = 0;
};

} // namespace l402::ui
