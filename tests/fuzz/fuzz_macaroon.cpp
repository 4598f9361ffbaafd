// Macaroon parsing (binary V1/V2 and base64): never crashes; what parses re-encodes to an
// equal macaroon in V2.
#include "core/protocol/DecodeReport.h"
#include "core/protocol/Macaroon.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArrayView bytes(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    for (auto parsed : {l402::protocol::Macaroon::fromBinary(bytes),
                        l402::protocol::Macaroon::fromBase64(bytes)}) {
        if (!parsed.ok()) {
            continue;
        }
        (void)l402::protocol::macaroonToJson(parsed.value());
        (void)l402::protocol::ApertureCaveats::fromMacaroon(parsed.value());
        auto again = l402::protocol::Macaroon::fromBinary(parsed->toBinaryV2());
        if (!again.ok() || !(again.value() == parsed.value())) {
            std::abort();
        }
    }
    return 0;
}
