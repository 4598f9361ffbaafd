#pragma once

#include "core/node/LightningNode.h"
#include "core/payments/PaymentEngine.h"
#include "core/policy/ApprovalBroker.h"
#include "core/store/WalletStore.h"
#include "core/util/Result.h"

#include <memory>

namespace l402::app {

// What every paying command needs on top of the unlocked wallet: the configured node (the
// demo node under --demo when none is set), the approval broker and the payment engine.
struct WalletRuntime {
    std::unique_ptr<node::LightningNode> node;
    std::unique_ptr<policy::ApprovalBroker> broker;
    std::unique_ptr<payments::PaymentEngine> engine;

    // `withoutNode`: a wallet with no node set runs with node::makeUnconfiguredNode() (the
    // window and serve); otherwise that is the `no_node` error (fetch and mcp).
    static Result<std::unique_ptr<WalletRuntime>> create(store::WalletStore& wallet, bool demo,
                                                         bool withoutNode = false);
};

} // namespace l402::app
