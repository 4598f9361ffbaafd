#include "core/node/HttpClient.h"

#include "core/crypto/Digest.h"

#include <QNetworkReply>
#include <QSslConfiguration>
#include <QSslKey>
#include <QTimer>

#include <memory>

namespace l402::node {
namespace {

QByteArray spkiPin(const QSslCertificate& certificate)
{
    return crypto::sha256(certificate.publicKey().toDer());
}

} // namespace

QByteArray HttpResponse::header(const QByteArray& name) const
{
    for (const auto& [key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0) {
            return value;
        }
    }
    return {};
}

HttpClient::HttpClient(TlsTrust trust, QObject* parent)
    : QObject(parent)
    , m_trust(std::move(trust))
{
    m_manager.setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
}

QNetworkReply* HttpClient::start(const HttpRequest& request)
{
    QNetworkRequest networkRequest(request.url);
    for (const auto& [name, value] : request.headers) {
        networkRequest.setRawHeader(name, value);
    }
    if (!request.body.isEmpty() && !networkRequest.hasRawHeader("Content-Type")) {
        networkRequest.setHeader(QNetworkRequest::ContentTypeHeader,
                                 QByteArrayLiteral("application/json"));
    }
    if (request.url.scheme() == QLatin1String("https")) {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        if (!m_trust.onlyAnchors.isEmpty()) {
            tls.setCaCertificates(m_trust.onlyAnchors);
        }
        networkRequest.setSslConfiguration(tls);
    }
    QNetworkReply* reply =
        m_manager.sendCustomRequest(networkRequest, request.method, request.body);
    if (!m_trust.spkiSha256Pin.isEmpty()) {
        // Pinned: the chain and name may not verify (self-signed, an IP), but the key must
        // be exactly the pinned one.
        const QByteArray pin = m_trust.spkiSha256Pin;
        connect(reply, &QNetworkReply::sslErrors, reply,
                [reply, pin](const QList<QSslError>& errors) {
                    if (!errors.isEmpty() &&
                        crypto::constantTimeEquals(
                            spkiPin(errors.first().certificate().isNull()
                                        ? reply->sslConfiguration().peerCertificate()
                                        : errors.first().certificate()),
                            pin)) {
                        reply->ignoreSslErrors(errors);
                    }
                });
        connect(reply, &QNetworkReply::encrypted, reply, [reply, pin] {
            if (!crypto::constantTimeEquals(spkiPin(reply->sslConfiguration().peerCertificate()),
                                            pin)) {
                reply->setProperty("l402PinMismatch", true);
                reply->abort();
            }
        });
    }
    return reply;
}

Error HttpClient::transportError(QNetworkReply* reply, bool timedOut) const
{
    const QString where = reply->url().host();
    if (timedOut || reply->error() == QNetworkReply::TimeoutError ||
        reply->error() == QNetworkReply::OperationCanceledError) {
        if (reply->property("l402PinMismatch").toBool()) {
            return Error{QLatin1String(node_error::kCertificate),
                         QStringLiteral("The node at %1 presented a certificate with a different "
                                        "key than the one pinned.")
                             .arg(where)};
        }
        return Error{QLatin1String(node_error::kUnreachable),
                     QStringLiteral("The node at %1 did not answer in time.").arg(where)};
    }
    switch (reply->error()) {
    case QNetworkReply::SslHandshakeFailedError:
        return Error{
            QLatin1String(node_error::kCertificate),
            QStringLiteral("The node at %1 presented a certificate that does not match the "
                           "one configured.")
                .arg(where)};
    case QNetworkReply::ConnectionRefusedError:
        return Error{
            QLatin1String(node_error::kUnreachable),
            QStringLiteral("The node at %1 refused the connection; is it running?").arg(where)};
    case QNetworkReply::HostNotFoundError:
        return Error{QLatin1String(node_error::kUnreachable),
                     QStringLiteral("The node's host %1 could not be found.").arg(where)};
    default:
        return Error{QLatin1String(node_error::kUnreachable),
                     QStringLiteral("The connection to the node at %1 failed: %2")
                         .arg(where, reply->errorString())};
    }
}

CallHandle HttpClient::send(const HttpRequest& request,
                            std::function<void(Result<HttpResponse>)> done)
{
    CallHandle handle;
    QNetworkReply* reply = start(request);
    auto timedOut = std::make_shared<bool>(false);
    auto* timer = new QTimer(reply);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, reply, [reply, timedOut] {
        *timedOut = true;
        reply->abort();
    });
    timer->start(request.timeout);
    connect(reply, &QNetworkReply::finished, this, [this, reply, handle, done, timedOut] {
        reply->deleteLater();
        if (handle.cancelled()) {
            return;
        }
        const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        if (!status.isValid() || *timedOut) {
            done(Result<HttpResponse>(transportError(reply, *timedOut)));
            return;
        }
        HttpResponse response;
        response.status = status.toInt();
        response.body = reply->readAll();
        for (const auto& pair : reply->rawHeaderPairs()) {
            response.headers.append({pair.first, pair.second});
        }
        done(std::move(response));
    });
    return handle;
}

CallHandle HttpClient::stream(const HttpRequest& request,
                              std::function<bool(int status, const QByteArray& line)> onLine,
                              std::function<void(Result<int>)> done)
{
    CallHandle handle;
    QNetworkReply* reply = start(request);
    auto timedOut = std::make_shared<bool>(false);
    auto stopped = std::make_shared<bool>(false);
    auto buffer = std::make_shared<QByteArray>();
    auto* timer = new QTimer(reply);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, reply, [reply, timedOut] {
        *timedOut = true;
        reply->abort();
    });
    timer->start(request.timeout);
    // A stream may be long; cap what one line may hold so a broken node cannot exhaust memory.
    constexpr qsizetype kMaxLine = 4 * 1024 * 1024;
    auto drain = [reply, handle, onLine, buffer, stopped](bool final) {
        if (*stopped) {
            return;
        }
        buffer->append(reply->readAll());
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        auto deliver = [&](const QByteArray& line) {
            if (!line.isEmpty() && !handle.cancelled() && !*stopped && !onLine(status, line)) {
                *stopped = true;
            }
        };
        qsizetype newline;
        while (!*stopped && (newline = buffer->indexOf('\n')) >= 0) {
            const QByteArray line = buffer->left(newline).trimmed();
            buffer->remove(0, newline + 1);
            deliver(line);
        }
        if (final && !*stopped) {
            deliver(buffer->trimmed());
            buffer->clear();
        }
        if (*stopped || buffer->size() > kMaxLine) {
            // Deferred: abort() emits finished() synchronously, inside this readyRead.
            QMetaObject::invokeMethod(reply, &QNetworkReply::abort, Qt::QueuedConnection);
        }
    };
    connect(reply, &QNetworkReply::readyRead, this, [drain] { drain(false); });
    connect(reply, &QNetworkReply::finished, this,
            [this, reply, handle, done, timedOut, drain, stopped] {
                reply->deleteLater();
                const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
                const bool cleanEnd =
                    status.isValid() && !*timedOut && reply->error() == QNetworkReply::NoError;
                if (status.isValid()) {
                    drain(true);
                }
                if (handle.cancelled() || *stopped) {
                    return;
                }
                if (!cleanEnd && (!status.isValid() || status.toInt() < 400)) {
                    // No status, a timeout, or a drop in the middle of a successful stream.
                    done(Result<int>(transportError(reply, *timedOut)));
                    return;
                }
                done(status.toInt());
            });
    return handle;
}

} // namespace l402::node
