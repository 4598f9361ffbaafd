#include "core/proxy/CurlMulti.h"

#include <QFile>
#include <QPointer>
#include <QSocketNotifier>
#include <QTemporaryFile>

#include <curl/curl.h>

#include <unistd.h>

namespace l402::proxy {

namespace {

// No upstream gets longer than this to connect, or may stall below 1 byte/s for longer than
// the stall limit; a whole transfer may take as long as it needs (large downloads).
constexpr long kConnectTimeoutMs = 15'000;
constexpr long kStallSeconds = 60;

} // namespace

QByteArray systemCaBundle()
{
    for (const char* path : {"/etc/ssl/certs/ca-certificates.crt",
                             "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"}) {
        QFile file(QString::fromLatin1(path));
        if (file.open(QIODevice::ReadOnly)) {
            return file.readAll();
        }
    }
    return {};
}

struct CurlMulti::Transfer {
    CurlMulti* owner = nullptr;
    TransferId id = 0;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    UpstreamSink sink;
    QByteArray body; // kept alive for CURLOPT_POSTFIELDS
    // The response head being read.
    int status = 0;
    QByteArray reason;
    HeaderList responseHeaders;
    bool headDelivered = false;
    bool paused = false;
    std::function<qint64(char*, qint64)> bodySource;
    bool uploadPaused = false;
};

struct CurlMulti::Watch {
    std::unique_ptr<QSocketNotifier> read;
    std::unique_ptr<QSocketNotifier> write;
};

CurlMulti::CurlMulti(UpstreamTls tls, QObject* parent)
    : QObject(parent)
{
    static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    Q_UNUSED(initialised);
    m_multi = curl_multi_init();
    curl_multi_setopt(m_multi, CURLMOPT_SOCKETFUNCTION, &CurlMulti::onSocket);
    curl_multi_setopt(m_multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(m_multi, CURLMOPT_TIMERFUNCTION, &CurlMulti::onTimer);
    curl_multi_setopt(m_multi, CURLMOPT_TIMERDATA, this);
    curl_multi_setopt(m_multi, CURLMOPT_MAX_HOST_CONNECTIONS, 64L);
    // Keep idle upstream connections for reuse: the default cache (4 per running transfer)
    // drops them under bursty load, and every TLS reconnect costs a handshake.
    curl_multi_setopt(m_multi, CURLMOPT_MAXCONNECTS, 512L);
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] { socketAction(CURL_SOCKET_TIMEOUT, 0); });
    if (!tls.extraCaPem.isEmpty()) {
        // A file, not CURLOPT_CAINFO_BLOB: libcurl caches the parsed store of a CA file
        // across connections (CURLOPT_CA_CACHE_TIMEOUT) but parses a blob on every handshake.
        // Certificates only: nothing secret is written.
        m_caFile = std::make_unique<QTemporaryFile>();
        if (m_caFile->open()) {
            m_caFile->write(systemCaBundle() + '\n' + tls.extraCaPem);
            m_caFile->flush();
            m_caPath = QFile::encodeName(m_caFile->fileName());
        }
    }
}

CurlMulti::~CurlMulti()
{
    const auto transfers = m_transfers.values();
    for (Transfer* transfer : transfers) {
        release(transfer);
    }
    qDeleteAll(m_watches);
    m_watches.clear();
    curl_multi_cleanup(m_multi);
}

CurlMulti::TransferId CurlMulti::start(const UpstreamRequest& request, UpstreamSink sink)
{
    auto* transfer = new Transfer;
    transfer->owner = this;
    transfer->id = m_nextId++;
    transfer->sink = std::move(sink);
    transfer->body = request.body;
    CURL* easy = curl_easy_init();
    transfer->easy = easy;
    const QByteArray url = request.url.toEncoded();
    curl_easy_setopt(easy, CURLOPT_URL, url.constData());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &CurlMulti::onCloseSocket);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_PROXY, ""); // never an environment proxy (loops to us)
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, long(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, kStallSeconds);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &CurlMulti::onHeader);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &CurlMulti::onWrite);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer);
    if (!m_caPath.isEmpty()) {
        curl_easy_setopt(easy, CURLOPT_CAINFO, m_caPath.constData());
    }
    if (request.method == "HEAD") {
        curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else if (request.method != "GET" || request.hasBody) {
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.constData());
    }
    bool streamedChunked = false;
    if (request.bodySource) {
        transfer->bodySource = request.bodySource;
        curl_easy_setopt(easy, CURLOPT_POST, 1L);
        curl_easy_setopt(easy, CURLOPT_READFUNCTION, &CurlMulti::onRead);
        curl_easy_setopt(easy, CURLOPT_READDATA, transfer);
        if (request.bodyLength >= 0) {
            curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(request.bodyLength));
        } else {
            streamedChunked = true;
        }
        if (request.method != "POST") {
            curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.constData());
        }
    } else if (request.hasBody) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(transfer->body.size()));
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, transfer->body.constData());
    }
    // The client's headers as they were; curl adds only Host (and Content-Length for a
    // body). Its own defaults are switched off unless the client sent them.
    bool accept = false;
    bool contentType = false;
    for (const auto& [name, value] : request.headers) {
        accept = accept || name.compare("accept", Qt::CaseInsensitive) == 0;
        contentType = contentType || name.compare("content-type", Qt::CaseInsensitive) == 0;
        const QByteArray line =
            value.isEmpty() ? QByteArray(name + ";") : QByteArray(name + ": " + value);
        transfer->headers = curl_slist_append(transfer->headers, line.constData());
    }
    if (!accept) {
        transfer->headers = curl_slist_append(transfer->headers, "Accept:");
    }
    if (!contentType && request.hasBody) {
        transfer->headers = curl_slist_append(transfer->headers, "Content-Type:");
    }
    transfer->headers = curl_slist_append(transfer->headers, "Expect:");
    if (streamedChunked) {
        transfer->headers = curl_slist_append(transfer->headers, "Transfer-Encoding: chunked");
    }
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->headers);
    m_transfers.insert(transfer->id, transfer);
    curl_multi_add_handle(m_multi, easy);
    return transfer->id;
}

void CurlMulti::cancel(TransferId id)
{
    Transfer* transfer = m_transfers.value(id);
    if (!transfer) {
        return;
    }
    // This may be called from inside one of this transfer's callbacks, where libcurl forbids
    // removing the handle: silence it now, release it from the event loop.
    transfer->sink = {};
    transfer->bodySource = {};
    QMetaObject::invokeMethod(
        this,
        [this, id] {
            if (Transfer* stale = m_transfers.value(id)) {
                release(stale);
            }
        },
        Qt::QueuedConnection);
}

void CurlMulti::resume(TransferId id)
{
    Transfer* transfer = m_transfers.value(id);
    if (transfer && transfer->paused) {
        transfer->paused = false;
        curl_easy_pause(transfer->easy, CURLPAUSE_CONT);
        // Unpausing may have delivered data and finished the transfer.
        collectFinished();
    }
}

void CurlMulti::resumeUpload(TransferId id)
{
    Transfer* transfer = m_transfers.value(id);
    if (transfer && transfer->uploadPaused) {
        transfer->uploadPaused = false;
        transfer->paused = false;
        curl_easy_pause(transfer->easy, CURLPAUSE_CONT);
        collectFinished();
    }
}

size_t CurlMulti::onRead(char* data, size_t size, size_t count, void* pointer)
{
    auto* transfer = static_cast<Transfer*>(pointer);
    if (!transfer->bodySource) {
        return CURL_READFUNC_ABORT; // cancelled
    }
    const qint64 got = transfer->bodySource(data, static_cast<qint64>(size * count));
    if (got < 0) {
        transfer->uploadPaused = true;
        return CURL_READFUNC_PAUSE;
    }
    return static_cast<size_t>(got);
}

void CurlMulti::release(Transfer* transfer)
{
    m_transfers.remove(transfer->id);
    curl_multi_remove_handle(m_multi, transfer->easy);
    curl_easy_cleanup(transfer->easy);
    curl_slist_free_all(transfer->headers);
    delete transfer;
}

int CurlMulti::onSocket(CURL*, int socket, int what, void* self, void*)
{
    auto* multi = static_cast<CurlMulti*>(self);
    if (what == CURL_POLL_REMOVE) {
        // An idle connection in curl's cache: the socket stays open for the next request, so
        // its notifiers are only switched off (re-creating them per request is what costs);
        // they go when curl closes the socket (onCloseSocket).
        if (Watch* watch = multi->m_watches.value(socket)) {
            watch->read->setEnabled(false);
            watch->write->setEnabled(false);
        }
        return 0;
    }
    Watch*& watch = multi->m_watches[socket];
    if (!watch) {
        watch = new Watch;
        watch->read = std::make_unique<QSocketNotifier>(socket, QSocketNotifier::Read);
        watch->write = std::make_unique<QSocketNotifier>(socket, QSocketNotifier::Write);
        QObject::connect(watch->read.get(), &QSocketNotifier::activated, multi,
                         [multi, socket] { multi->socketAction(socket, CURL_CSELECT_IN); });
        QObject::connect(watch->write.get(), &QSocketNotifier::activated, multi,
                         [multi, socket] { multi->socketAction(socket, CURL_CSELECT_OUT); });
    }
    watch->read->setEnabled(what == CURL_POLL_IN || what == CURL_POLL_INOUT);
    watch->write->setEnabled(what == CURL_POLL_OUT || what == CURL_POLL_INOUT);
    return 0;
}

int CurlMulti::onCloseSocket(void* self, int socket)
{
    auto* multi = static_cast<CurlMulti*>(self);
    if (Watch* watch = multi->m_watches.take(socket)) {
        // This may run inside one of the notifiers' own activated(): delete them later.
        for (auto* notifier : {watch->read.release(), watch->write.release()}) {
            notifier->setEnabled(false);
            notifier->deleteLater();
        }
        delete watch;
    }
    return ::close(socket);
}

int CurlMulti::onTimer(CURLM*, long timeoutMs, void* self)
{
    auto* multi = static_cast<CurlMulti*>(self);
    if (timeoutMs < 0) {
        multi->m_timer.stop();
    } else {
        multi->m_timer.start(static_cast<int>(timeoutMs));
    }
    return 0;
}

void CurlMulti::socketAction(int socket, int events)
{
    QPointer<CurlMulti> self(this);
    int running = 0;
    curl_multi_socket_action(m_multi, socket, events, &running);
    if (self) {
        collectFinished();
    }
}

void CurlMulti::collectFinished()
{
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(m_multi, &queued)) {
        if (message->msg != CURLMSG_DONE) {
            continue;
        }
        Transfer* transfer = nullptr;
        curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &transfer);
        if (!transfer) {
            continue;
        }
        const CURLcode code = message->data.result;
        finish(transfer, code == CURLE_OK,
               code == CURLE_OK ? QString() : QString::fromUtf8(curl_easy_strerror(code)));
    }
}

void CurlMulti::finish(Transfer* transfer, bool ok, const QString& error)
{
    UpstreamSink sink = std::move(transfer->sink);
    const bool hadHead = transfer->headDelivered;
    release(transfer);
    if (ok && !hadHead && sink.head) {
        sink.head(0, {}, {}); // a response without a head cannot happen over HTTP; be safe
    }
    if (sink.done) {
        sink.done(ok, error);
    }
}

size_t CurlMulti::onHeader(char* data, size_t size, size_t count, void* pointer)
{
    auto* transfer = static_cast<Transfer*>(pointer);
    const size_t length = size * count;
    QByteArray line(data, static_cast<qsizetype>(length));
    while (line.endsWith('\n') || line.endsWith('\r')) {
        line.chop(1);
    }
    if (line.startsWith("HTTP/")) {
        // A new head (after a 1xx, or the first).
        transfer->responseHeaders.clear();
        const QList<QByteArray> parts = line.split(' ');
        transfer->status = parts.value(1).toInt();
        transfer->reason = parts.size() > 2 ? line.mid(line.indexOf(' ', line.indexOf(' ') + 1) + 1)
                                            : QByteArray();
        return length;
    }
    if (line.isEmpty()) {
        if (transfer->status >= 200 && !transfer->headDelivered) {
            transfer->headDelivered = true;
            if (transfer->sink.head) {
                transfer->sink.head(transfer->status, transfer->reason, transfer->responseHeaders);
            }
        }
        return length;
    }
    const qsizetype colon = line.indexOf(':');
    if (colon > 0) {
        transfer->responseHeaders.append(
            {line.left(colon).trimmed(), line.mid(colon + 1).trimmed()});
    }
    return length;
}

size_t CurlMulti::onWrite(char* data, size_t size, size_t count, void* pointer)
{
    auto* transfer = static_cast<Transfer*>(pointer);
    const size_t length = size * count;
    if (transfer->sink.data &&
        !transfer->sink.data(QByteArray(data, static_cast<qsizetype>(length)))) {
        // The bytes were taken; pausing stops the next ones until resume().
        transfer->paused = true;
        curl_easy_pause(transfer->easy, CURLPAUSE_RECV);
    }
    return length;
}

} // namespace l402::proxy
