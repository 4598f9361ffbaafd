#pragma once

#include "core/store/Database.h"
#include "core/util/Clock.h"
#include "core/util/Result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <optional>

namespace l402::policy {

namespace owner_error {
// An owner command arrived without proof (DESIGN §3.8); the JSON code callers script on.
inline constexpr auto kConfirmationRequired = "owner_confirmation_required";
inline constexpr auto kWrongProof = "owner_proof_wrong";
inline constexpr auto kLockedOut = "owner_proof_locked";
inline constexpr auto kDenied = "owner_denied";
} // namespace owner_error

// What is needed to check an owner secret, read on the wallet's thread; checking it (Argon2id,
// about half a second by design) then runs on any thread without the database.
struct OwnerSecrets {
    QString dataDir;
    bool passphraseMode = false;
    QByteArray pinRecord; // the stored PIN hash (JSON), empty when no PIN is set
    // Seconds since the epoch before which no try is accepted (after repeated wrong ones).
    int64_t lockedUntil = 0;
    int failures = 0;
};

// Owner proof that an agent process running as the same Unix user does not have: the wallet
// passphrase (passphrase mode) or the owner PIN (keychain mode, where no passphrase exists),
// typed by a person. The PIN is kept as an Argon2id hash in the encrypted settings, never in
// the clear. Wrong entries are counted in the database (so a loop of fresh processes gets no
// more tries than one): after 5 in a row every further try waits, 30 s doubling to an hour.
class OwnerProof {
public:
    OwnerProof(store::Database& database, QString dataDir, const Clock& clock);

    Result<OwnerSecrets> secrets();
    // The kinds a person can give here: "passphrase" and/or "pin"; empty when neither.
    static QStringList kinds(const OwnerSecrets& secrets);

    // Checks `secret` against the passphrase and the PIN; pure, for a worker thread.
    static bool matches(const OwnerSecrets& secrets, QByteArrayView secret);
    // Records the outcome of a try made with `secrets`; a refusal says how long to wait.
    Status record(bool matched);
    // Whether a try is accepted now (kLockedOut with the time to wait when not).
    Status mayTry(const OwnerSecrets& secrets) const;

    // Sets or replaces the PIN (at least 6 characters).
    Status setPin(QByteArrayView pin);
    bool hasPin();

    static constexpr int kFreeTries = 5;

private:
    store::Database& m_database;
    QString m_dataDir;
    const Clock& m_clock;
};

// The settings keys of the above.
inline constexpr auto kOwnerPinSetting = "owner_pin";
inline constexpr auto kOwnerFailuresSetting = "owner_proof_failures";

} // namespace l402::policy
