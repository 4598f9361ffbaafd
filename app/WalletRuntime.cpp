#include "app/WalletRuntime.h"

#include "core/node/NodeSettings.h"

namespace l402::app {

Result<std::unique_ptr<WalletRuntime>> WalletRuntime::create(store::WalletStore& wallet, bool demo,
                                                             bool withoutNode)
{
    using R = Result<std::unique_ptr<WalletRuntime>>;
    auto settings = node::NodeSettingsRepository(wallet.database()).load();
    if (!settings) {
        return R(settings.error());
    }
    node::NodeSettings chosen;
    if (settings.value()) {
        chosen = *settings.value();
    } else if (demo) {
        chosen.backend = QStringLiteral("demo");
    } else if (!withoutNode) {
        return R::failure(QStringLiteral("no_node"),
                          QStringLiteral("No node is set; use 'l402-wallet node set' (or try "
                                         "--demo)."));
    }
    auto runtime = std::make_unique<WalletRuntime>();
    if (chosen.backend.isEmpty()) {
        runtime->node = node::makeUnconfiguredNode();
    } else {
        auto created = node::createNode(chosen);
        if (!created) {
            return R(created.error());
        }
        runtime->node = std::move(created.value());
    }
    runtime->broker = std::make_unique<policy::ApprovalBroker>(SystemClock::instance());
    runtime->engine = std::make_unique<payments::PaymentEngine>(
        wallet, *runtime->node, *runtime->broker, SystemClock::instance());
    return R(std::move(runtime));
}

} // namespace l402::app
