#pragma once

#include "core/node/LightningNode.h"
#include "core/util/Result.h"

#include <QByteArray>
#include <QList>
#include <QNetworkAccessManager>
#include <QSslCertificate>
#include <QUrl>

#include <chrono>
#include <functional>
#include <utility>

namespace l402::node {

// Whom the client trusts for TLS. A node's self-signed certificate is trusted as the only
// anchor (hostname still checked), or its public key is pinned (SPKI sha256, any name).
struct TlsTrust {
    QList<QSslCertificate> onlyAnchors; // empty: the system trust store
    QByteArray spkiSha256Pin;           // non-empty: accept exactly this public key
};

struct HttpRequest {
    QByteArray method = "GET";
    QUrl url;
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
    std::chrono::milliseconds timeout{30'000};
};

struct HttpResponse {
    int status = 0;
    QByteArray body;
    QByteArray header(const QByteArray& name) const;
    QList<std::pair<QByteArray, QByteArray>> headers;
};

// HTTP(S) for node backends on Qt's network stack (QNetworkAccessManager: HTTP/1.1 framing,
// TLS through OpenSSL, connection reuse), driven by the caller's event loop. Transport
// failures map to node_error codes; any HTTP status is a response, for the backend to read.
class HttpClient : public QObject {
    Q_OBJECT
public:
    explicit HttpClient(TlsTrust trust, QObject* parent = nullptr);

    CallHandle send(const HttpRequest& request, std::function<void(Result<HttpResponse>)> done);

    // For newline-delimited streams (LND's router endpoints): `onLine` gets each complete
    // line as it arrives with the response status, and returns whether to read on; `done`
    // gets the final status, or the transport error (a drop mid-stream included). When
    // `onLine` says stop, the connection is closed at once and `done` is not called (a
    // lookup needs one line of a stream the node keeps open until the payment ends).
    CallHandle stream(const HttpRequest& request,
                      std::function<bool(int status, const QByteArray& line)> onLine,
                      std::function<void(Result<int>)> done);

private:
    class QNetworkReply* start(const HttpRequest& request);
    Error transportError(class QNetworkReply* reply, bool timedOut) const;

    QNetworkAccessManager m_manager;
    TlsTrust m_trust;
};

} // namespace l402::node
