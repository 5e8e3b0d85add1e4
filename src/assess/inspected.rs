//! Judgements about one connection `pqready inspect` saw: what the client
//! offered against what the connection settled on.
//!
//! Owns: the downgrade rule. Must not: read sockets or bytes, or format
//! anything; `inspect` supplies the offer and the negotiated group, `report`
//! renders the answer.

use crate::inspect::ClientObservation;
use crate::vocab::OfferVerdict;
use crate::wire::NamedGroup;
use serde::Serialize;

/// What `assess` concludes about one inspected connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ClientAssessment {
    /// `pq`, `draft-only` or `classical`; null when no hello was parsed.
    pub verdict: Option<OfferVerdict>,
    /// The client offered a post-quantum group and the connection settled on
    /// a classical one ([`downgraded`]); null when the negotiated group is unknown.
    pub downgraded: Option<bool>,
}

/// Judges one inspected connection: its offer and, when the server's answer
/// is known, whether it was downgraded.
pub fn client(observed: &ClientObservation) -> ClientAssessment {
    ClientAssessment {
        verdict: observed
            .hello_read()
            .then(|| super::offer(&observed.groups)),
        downgraded: downgraded(&observed.groups, observed.negotiated_group),
    }
}

/// Whether a connection was downgraded: the client offered a post-quantum
/// group (the obsolete Kyber draft counts: it was meant to be post-quantum)
/// and the connection settled on a classical one. `None` when the negotiated
/// group is unknown (the server's answer could not be read, or it named none).
pub fn downgraded(offered: &[NamedGroup], negotiated: Option<NamedGroup>) -> Option<bool> {
    let negotiated = negotiated?;
    Some(offered.iter().any(|g| g.is_post_quantum()) && !negotiated.is_post_quantum())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GO123: &[NamedGroup] = &[NamedGroup::X25519KYBER768DRAFT00, NamedGroup::X25519];
    const GO124: &[NamedGroup] = &[NamedGroup::X25519MLKEM768, NamedGroup::X25519];
    const CLASSICAL: &[NamedGroup] = &[NamedGroup::X25519, NamedGroup::SECP256R1];

    #[test]
    fn a_pq_offer_settling_on_a_classical_group_is_a_downgrade() {
        assert_eq!(downgraded(GO123, Some(NamedGroup::X25519)), Some(true));
        assert_eq!(downgraded(GO124, Some(NamedGroup::SECP256R1)), Some(true));
    }

    #[test]
    fn a_pq_result_or_a_classical_offer_is_not() {
        assert_eq!(
            downgraded(GO124, Some(NamedGroup::X25519MLKEM768)),
            Some(false)
        );
        assert_eq!(
            downgraded(GO123, Some(NamedGroup::X25519KYBER768DRAFT00)),
            Some(false)
        );
        assert_eq!(downgraded(CLASSICAL, Some(NamedGroup::X25519)), Some(false));
        assert_eq!(downgraded(&[], Some(NamedGroup::X25519)), Some(false));
    }

    #[test]
    fn an_unknown_result_is_unknown() {
        assert_eq!(downgraded(GO124, None), None);
        assert_eq!(downgraded(CLASSICAL, None), None);
    }
}
