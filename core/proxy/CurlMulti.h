#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QTimer>
#include <QUrl>

#include <functional>
#include <memory>

typedef void CURLM;
typedef void CURL;
struct curl_slist;

class QSocketNotifier;
class QTemporaryFile;

namespace l402::proxy {

using HeaderList = QList<std::pair<QByteArray, QByteArray>>;

struct UpstreamRequest {
    QUrl url;
    QByteArray method = "GET";
    HeaderList headers; // already filtered: what goes upstream, in order
    QByteArray body;
    bool hasBody = false;
    // A body too large to keep, streamed as it arrives: fills up to `max` bytes and returns
    // how many, 0 at the end, or -1 when nothing is there yet (the transfer then waits for
    // resumeUpload()). `bodyLength` is its Content-Length, or -1 to send it chunked.
    std::function<qint64(char* buffer, qint64 max)> bodySource;
    qint64 bodyLength = -1;
};

// What a transfer reports, on the thread that owns the CurlMulti.
struct UpstreamSink {
    // The final response head (1xx heads are skipped).
    std::function<void(int status, const QByteArray& reason, const HeaderList& headers)> head;
    // Body bytes as they arrive (de-chunked; content codings untouched). Return false to
    // pause the transfer until resume() (a slow client).
    std::function<bool(const QByteArray& bytes)> data;
    // The end: ok, or a plain description of what failed (connect, TLS, timeout, reset).
    std::function<void(bool ok, const QString& error)> done;
};

// The system's trusted CAs as one PEM bundle (Debian, Fedora and BSD-style locations); empty
// when none is found.
QByteArray systemCaBundle();

struct UpstreamTls {
    QByteArray extraCaPem; // trusted in addition to the system's CAs
};

// libcurl's multi interface driven by this thread's Qt event loop (CURLMOPT_SOCKETFUNCTION
// and CURLMOPT_TIMERFUNCTION with QSocketNotifier and QTimer): every upstream transfer of
// the proxy runs here, sharing one connection cache (keep-alive, HTTP/2 where offered).
// Redirects are passed back, never followed; environment proxies are ignored.
class CurlMulti : public QObject {
    Q_OBJECT
public:
    explicit CurlMulti(UpstreamTls tls = {}, QObject* parent = nullptr);
    ~CurlMulti() override;

    using TransferId = quint64;
    TransferId start(const UpstreamRequest& request, UpstreamSink sink);
    // Drops a transfer; its sink is never called again.
    void cancel(TransferId id);
    void resume(TransferId id);
    // More of a streamed request body is there.
    void resumeUpload(TransferId id);
    int activeTransfers() const { return static_cast<int>(m_transfers.size()); }

private:
    struct Transfer;
    struct Watch;
    static int onSocket(CURL* easy, int socket, int what, void* self, void* socketData);
    static int onTimer(CURLM* multi, long timeoutMs, void* self);
    static int onCloseSocket(void* self, int socket);
    static size_t onHeader(char* data, size_t size, size_t count, void* transfer);
    static size_t onWrite(char* data, size_t size, size_t count, void* transfer);
    static size_t onRead(char* data, size_t size, size_t count, void* transfer);
    void socketAction(int socket, int events);
    void collectFinished();
    void finish(Transfer* transfer, bool ok, const QString& error);
    void release(Transfer* transfer);

    CURLM* m_multi = nullptr;
    QTimer m_timer;
    QHash<int, Watch*> m_watches;
    QHash<TransferId, Transfer*> m_transfers;
    TransferId m_nextId = 1;
    std::unique_ptr<QTemporaryFile> m_caFile; // system CAs + extra, for CURLOPT_CAINFO
    QByteArray m_caPath;
};

} // namespace l402::proxy
