#pragma once

#include "core/payments/PaymentGateway.h"

#include <QByteArray>
#include <QList>
#include <QNetworkAccessManager>
#include <QObject>
#include <QUrl>

#include <functional>
#include <optional>

namespace l402::payments {

using HeaderList = QList<std::pair<QByteArray, QByteArray>>;

struct FetchRequest {
    QUrl url;
    QByteArray method = "GET";
    HeaderList headers;
    QByteArray body;
    QString agent;
    std::optional<int64_t> maxCostMsat;
    std::optional<int64_t> maxFeeMsat;
    bool noPay = false; // --no-pay: report the price, do not pay
};

struct FetchResponse {
    int status = 0;
    HeaderList headers;
    QByteArray body;
    std::optional<PaymentSummary> payment; // this request paid
    bool usedToken = false;                // sent a bought token
    // --no-pay, or a refusal: what the 402 asked for.
    std::optional<int64_t> priceMsat;
};

namespace fetch_error {
inline constexpr auto kNetwork = "upstream_unreachable";
inline constexpr auto kTokenRejected = "token_rejected";
} // namespace fetch_error

// An HTTP client that pays through the wallet (a PaymentGateway): sends the origin's token if
// one is active, and on a 402 asks the wallet for a credential and retries. At most one payment per
// fetch: a server that refuses the token it just sold gets `token_rejected`, never a second
// payment. The engine's refusals come back as the Error. Used by `fetch`, MCP and tests.
class PaidFetcher : public QObject {
    Q_OBJECT
public:
    PaidFetcher(PaymentGateway& wallet, QNetworkAccessManager& network, QObject* parent = nullptr);

    void fetch(const FetchRequest& request, std::function<void(Result<FetchResponse>)> done);
    void setTransferTimeout(std::chrono::milliseconds timeout) { m_transferTimeout = timeout; }
    // Bytes of the response body so far and the total (-1 when the server does not say), for
    // a progress bar. Only the answer that is returned is reported, not a 402 before it.
    void setProgressListener(std::function<void(qint64 received, qint64 total)> listener)
    {
        m_progress = std::move(listener);
    }

private:
    struct Attempt;
    void send(const std::shared_ptr<Attempt>& attempt, const std::optional<Credential>& credential);

    PaymentGateway& m_wallet;
    QNetworkAccessManager& m_network;
    std::function<void(qint64, qint64)> m_progress;
    std::chrono::milliseconds m_transferTimeout{60'000};
};

} // namespace l402::payments
