// The proxy's request framing (RequestParser over http-parser): any byte stream, fed in
// pieces whose sizes come from the input itself, never crashes or hangs, and every request it
// accepts obeys the framing rules the proxy relies on against request smuggling.
#include "core/proxy/RequestParser.h"

#include <QByteArray>

#include <cstdint>
#include <cstdlib>

using l402::proxy::RequestParser;

namespace {

bool equalsIgnoringCase(const QByteArray& a, const char* b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

void check(const RequestParser::Request& request, const RequestParser::Limits& limits)
{
    int lengths = 0;
    int codings = 0;
    for (const auto& [name, value] : request.headers) {
        if (!l402::proxy::isHttpToken(name)) {
            std::abort();
        }
        lengths += equalsIgnoringCase(name, "content-length") ? 1 : 0;
        codings += equalsIgnoringCase(name, "transfer-encoding") ? 1 : 0;
    }
    if ((lengths > 0 && codings > 0) || lengths > 1 || codings > 1 ||
        request.body.size() > limits.maxBodyBytes ||
        request.target.size() > limits.maxTargetBytes ||
        request.headers.size() > limits.maxHeaderFields || request.method.isEmpty()) {
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    // The first byte sets the piece size, so splits at every position get explored.
    const qsizetype piece = 1 + data[0] % 64;
    const QByteArray stream(reinterpret_cast<const char*>(data + 1),
                            static_cast<qsizetype>(size - 1));
    RequestParser::Limits limits;
    limits.maxBodyBytes = 4096;
    limits.maxHeaderBytes = 2048;
    limits.maxTargetBytes = 512;
    limits.maxHeaderFields = 16;
    RequestParser parser(limits);
    QByteArray pending;
    int requests = 0;
    for (qsizetype offset = 0; offset < stream.size() || !pending.isEmpty();) {
        if (offset < stream.size()) {
            pending += stream.mid(offset, piece);
            offset += piece;
        }
        const auto status = parser.feed(pending);
        if (status == RequestParser::Status::Streaming || parser.streaming()) {
            (void)parser.takeBody(); // a body too large to keep goes through in pieces
        }
        if (status == RequestParser::Status::Streaming) {
            continue;
        }
        if (status == RequestParser::Status::Error) {
            if (parser.errorCode().isEmpty()) {
                std::abort();
            }
            return 0;
        }
        if (status == RequestParser::Status::Complete) {
            check(parser.request(), limits);
            if (parser.request().isConnect || ++requests > 64) {
                return 0; // the rest would be tunnel bytes
            }
            parser.next();
            continue;
        }
        if (offset >= stream.size()) {
            break; // needs more than there is
        }
    }
    return 0;
}
