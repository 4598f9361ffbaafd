#pragma once

#include "core/http/HttpServer.h"

#include <QTest>

namespace l402::test {

// The doubles speak through core's HTTP server (tests/unit/FakeHttpServerTest pins down its
// behaviour); tests add only a way to wait for traffic.
using HttpHeaders = http::HttpHeaders;
using BasicCredentials = http::BasicCredentials;
using FakeRequest = http::HttpRequest;
using FakeResponder = http::HttpResponder;

class FakeHttpServer : public http::HttpServer {
public:
    using http::HttpServer::HttpServer;

    // Spins the event loop until at least `count` requests arrived in total.
    [[nodiscard]] bool waitForRequests(qsizetype count, int timeoutMs = 5000)
    {
        return QTest::qWaitFor([this, count] { return requestCount() >= count; }, timeoutMs);
    }
};

} // namespace l402::test
