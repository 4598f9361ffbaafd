#include "app/WalletRuntime.h"

#include "core/node/NodeSettings.h"

namespace l402::app {

Result<std::unique_ptr<WalletRuntime>> WalletRuntime::create(store::WalletStore& wallet, bool demo)
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
    } else {
        return R::failure(QStringLiteral("no_node"),
                          QStringLiteral("No node is set; use 'l402-wallet node set' (or try "
                                         "--demo)."));
    }
    auto created = node::createNode(chosen);
    if (!created) {
        return R(created.error());
    }
    auto runtime = std::make_unique<WalletRuntime>();
    runtime->node = std::move(created.value());
    runtime->broker = std::make_unique<policy::ApprovalBroker>(SystemClock::instance());
    runtime->engine = std::make_unique<payments::PaymentEngine>(
        wallet, *runtime->node, *runtime->broker, SystemClock::instance());
    return R(std::move(runtime));
}

} // namespace l402::app
