#pragma once

#include "core/payments/PaymentEngine.h"

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

// An HTTP client that pays through the engine: sends the origin's token if one is active,
// and on a 402 asks the engine for a credential and retries once. At most one payment per
// fetch: a server that refuses the token it just sold gets `token_rejected`, never a second
// payment. The engine's refusals come back as the Error. Used by `fetch`, MCP and tests.
class PaidFetcher : public QObject {
    Q_OBJECT
public:
    PaidFetcher(PaymentEngine& engine, QNetworkAccessManager& network, QObject* parent = nullptr);

    void fetch(const FetchRequest& request, std::function<void(Result<FetchResponse>)> done);
    void setTransferTimeout(std::chrono::milliseconds timeout) { m_transferTimeout = timeout; }

private:
    struct Attempt;
    void send(const std::shared_ptr<Attempt>& attempt, const std::optional<Credential>& credential);

    PaymentEngine& m_engine;
    QNetworkAccessManager& m_network;
    std::chrono::milliseconds m_transferTimeout{60'000};
};

} // namespace l402::payments
