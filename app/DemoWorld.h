#pragma once

#include "core/demo/PaidApiServer.h"
#include "core/node/DemoNode.h"

#include <QUrl>

#include <memory>

namespace l402::app {

// The --demo world of `serve` and the window: the built-in paid API on loopback, paid with
// the demo node's simulated funds. Port 8403 when free (so the line the window shows stays
// the same between runs), else any free port.
class DemoWorld {
public:
    static constexpr quint16 kPreferredPort = 8403;

    [[nodiscard]] bool start();
    QUrl url(const QString& path) const { return m_api->url(path); }
    // The command a new user can paste to see the whole flow.
    QString tryLine() const;

private:
    std::shared_ptr<node::DemoLedger> m_ledger = std::make_shared<node::DemoLedger>();
    std::unique_ptr<demo::PaidApiServer> m_api;
};

} // namespace l402::app
