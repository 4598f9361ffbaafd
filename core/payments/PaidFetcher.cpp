#include "core/payments/PaidFetcher.h"

#include "core/protocol/Bolt11.h"
#include "core/protocol/Challenge.h"

#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>

namespace l402::payments {

struct PaidFetcher::Attempt {
    FetchRequest request;
    policy::Origin origin;
    std::function<void(Result<FetchResponse>)> done;
    std::optional<PaymentSummary> payment;
    int rounds = 0; // credentials from the engine tried so far
};

namespace {

// The price a 402 asks, for --no-pay and refusals (not a check: the engine checks).
std::optional<int64_t> askedPrice(const QList<QByteArray>& wwwAuthenticate)
{
    const auto preferred = protocol::parseChallenges(wwwAuthenticate).preferred();
    QString invoice;
    if (const auto* l402 = std::get_if<protocol::L402Challenge>(&preferred)) {
        invoice = l402->invoice;
    } else if (const auto* mpp = std::get_if<protocol::PaymentChallenge>(&preferred)) {
        invoice = mpp->invoice;
    }
    auto decoded = protocol::decodeInvoice(invoice);
    if (!decoded || !decoded->amountMsat) {
        return std::nullopt;
    }
    return static_cast<int64_t>(*decoded->amountMsat);
}

} // namespace

PaidFetcher::PaidFetcher(PaymentGateway& wallet, QNetworkAccessManager& network, QObject* parent)
    : QObject(parent)
    , m_wallet(wallet)
    , m_network(network)
{
}

void PaidFetcher::fetch(const FetchRequest& request,
                        std::function<void(Result<FetchResponse>)> done)
{
    auto origin = policy::Origin::fromUrl(request.url);
    if (!origin) {
        done(Result<FetchResponse>::failure(
            QStringLiteral("invalid_url"),
            QStringLiteral("\"%1\" is not an http or https URL.").arg(request.url.toString())));
        return;
    }
    auto attempt = std::make_shared<Attempt>();
    attempt->request = request;
    attempt->origin = *origin;
    attempt->done = std::move(done);
    QPointer<PaidFetcher> self(this);
    m_wallet.credentialFor(*origin, request.url.path(QUrl::FullyEncoded), this,
                           [self, attempt](std::optional<Credential> credential) {
                               // Only a token this agent bought is sent: another agent's
                               // secret never reaches this process's requests.
                               if (credential && credential->boughtBy != attempt->request.agent) {
                                   credential.reset();
                               }
                               if (self) {
                                   self->send(attempt, credential);
                               }
                           });
}

void PaidFetcher::send(const std::shared_ptr<Attempt>& attempt,
                       const std::optional<Credential>& credential)
{
    QNetworkRequest request(attempt->request.url);
    request.setTransferTimeout(static_cast<int>(m_transferTimeout.count()));
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    for (const auto& [name, value] : attempt->request.headers) {
        request.setRawHeader(name, value);
    }
    if (credential) {
        request.setRawHeader(credential->headerName, credential->headerValue);
    }
    QNetworkReply* reply =
        m_network.sendCustomRequest(request, attempt->request.method, attempt->request.body);
    const int64_t sentTokenId = credential ? credential->tokenId : 0;
    QPointer<PaidFetcher> self(this);
    if (m_progress) {
        connect(reply, &QNetworkReply::downloadProgress, this,
                [this, reply](qint64 received, qint64 total) {
                    if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() != 402) {
                        m_progress(received, total > 0 ? total : -1);
                    }
                });
    }
    connect(reply, &QNetworkReply::finished, this, [self, reply, attempt, sentTokenId] {
        reply->deleteLater();
        const QVariant statusAttribute = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        if (!statusAttribute.isValid()) {
            attempt->done(Result<FetchResponse>::failure(
                QLatin1String(fetch_error::kNetwork),
                QStringLiteral("%1 could not be reached: %2")
                    .arg(attempt->origin.toString(), reply->errorString())));
            return;
        }
        FetchResponse response;
        response.status = statusAttribute.toInt();
        response.headers = reply->rawHeaderPairs();
        response.body = reply->readAll();
        response.payment = attempt->payment;
        response.usedToken = sentTokenId != 0;
        if (response.status != 402) {
            attempt->done(response);
            return;
        }
        QList<QByteArray> challenges;
        for (const auto& [name, value] : response.headers) {
            if (name.compare("WWW-Authenticate", Qt::CaseInsensitive) == 0) {
                challenges.append(value);
            }
        }
        response.priceMsat = askedPrice(challenges);
        if (attempt->request.noPay || !self) {
            attempt->done(response);
            return;
        }
        // At most one payment per request, and a bounded number of other tokens to try. A
        // 402 to the token just bought is reported, so the drain guard sees it.
        if (attempt->rounds >= 4) {
            attempt->done(Result<FetchResponse>::failure(
                QLatin1String(fetch_error::kTokenRejected),
                QStringLiteral("%1 asked for payment again right after it was paid; the wallet "
                               "will not pay twice for one request.")
                    .arg(attempt->origin.toString())));
            return;
        }
        RequestContext context;
        context.origin = attempt->origin;
        context.agent = attempt->request.agent;
        context.ownTokensOnly = true; // this process holds what it is given
        context.resource = QString::fromLatin1(attempt->request.method) + u' ' +
                           attempt->request.url.path(QUrl::FullyEncoded);
        context.path = attempt->request.url.path(QUrl::FullyEncoded);
        context.sentTokenId = sentTokenId;
        context.reportOnly = attempt->payment.has_value();
        context.maxCostMsat = attempt->request.maxCostMsat;
        context.maxFeeMsat = attempt->request.maxFeeMsat;
        self->m_wallet.paymentRequired(
            context, challenges, self, [self, attempt](Result<Credential> granted) {
                if (!granted) {
                    attempt->done(Result<FetchResponse>(granted.error()));
                    return;
                }
                if (!self) {
                    return;
                }
                ++attempt->rounds;
                if (granted->payment) {
                    attempt->payment = granted->payment;
                }
                self->send(attempt, granted.value());
            });
    });
}

} // namespace l402::payments
