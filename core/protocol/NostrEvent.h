#pragma once

#include "core/util/Result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace l402::protocol {

namespace nostr_error {
inline constexpr auto kInvalidEvent = "invalid_event";         // JSON shape, types, ranges
inline constexpr auto kIdMismatch = "event_id_mismatch";       // id != sha256(serialization)
inline constexpr auto kInvalidSignature = "invalid_signature"; // BIP340 check failed
inline constexpr auto kInvalidKey = "invalid_key";             // signing key
} // namespace nostr_error

// How strings are escaped in the serialization an event id is the hash of.
enum class EventIdEscaping {
    // NIP-01's rule: escape only \n \" \\ \r \t \b \f; every other character verbatim.
    Nip01,
    // JSON.stringify's rule, which nostr-tools, and with it most clients, hash: also writes the
    // other C0 controls (U+0000..U+001F) as \u00xx. Identical to Nip01 for any string without
    // those characters.
    JsonStringify,
};

// A Nostr event (NIP-01). Byte fields hold raw bytes; the JSON form carries them as
// lowercase hex.
struct NostrEvent {
    QByteArray id;        // 32 bytes, sha256 of serializeForId()
    QByteArray pubkey;    // 32-byte x-only public key of the author
    qint64 createdAt = 0; // unix seconds
    int kind = 0;         // 0..65535
    QList<QStringList> tags;
    QString content;
    QByteArray signature; // 64-byte BIP340 signature of id

    // The UTF-8 bytes of [0,"<pubkey>",<created_at>,<kind>,<tags>,"<content>"] with no
    // whitespace, escaped as `escaping` says. Written by hand: QJsonDocument escapes the C0
    // controls outside NIP-01's list as \u00xx (NIP-01 wants them verbatim) and promises no
    // particular output form.
    QByteArray serializeForId(EventIdEscaping escaping = EventIdEscaping::Nip01) const;
    QByteArray computeId(EventIdEscaping escaping = EventIdEscaping::Nip01) const;

    // This event with pubkey, id (NIP-01 escaping) and signature set from `secretKey`.
    // `auxRandomness`: leave empty outside tests (see crypto::schnorrSign).
    Result<NostrEvent> signedWith(QByteArrayView secretKey,
                                  QByteArrayView auxRandomness = {}) const;

    // Fields well formed, id the hash of the serialization, signature valid for id and pubkey.
    // The id may use either escaping, so events signed by JSON.stringify-based clients verify;
    // the two differ only when a string holds a C0 control other than \n \r \t \b \f.
    Status verify() const;

    // The wire form: {"id","pubkey","created_at","kind","tags","content","sig"}.
    QJsonObject toJson() const;

    // Strict parsing of the wire form: all seven members with exact types; id, pubkey and sig
    // lowercase hex of 32, 32 and 64 bytes; created_at an integer in [0, 2^53); kind an
    // integer in [0, 65535]; tags an array of non-empty arrays of strings; no unpaired UTF-16
    // surrogates. Other members are ignored. Parsing does not verify: call verify().
    static Result<NostrEvent> fromJson(const QJsonObject& object);
    static Result<NostrEvent> parse(QByteArrayView json);

    friend bool operator==(const NostrEvent&, const NostrEvent&) = default;
};

} // namespace l402::protocol
