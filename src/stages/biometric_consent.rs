//! `biometric_consent` stage (Art. 14): a provider that offers editing of face, voice and other
//! biometric information (人脸、人声等生物识别信息编辑功能) must prompt the user to inform the person
//! being edited and obtain that person's **separate consent** (单独同意).
//!
//! When the event's technique edits face or voice biometrics ([`edits_biometrics`]) and
//! `subject.consent` is not `obtained` (absent, `not_obtained` or `unknown`) →
//! `biometric_consent_missing` (hold), unless the subject is explicitly **not** a real person
//! (`subject.real_person == false`: purely synthetic faces and voices edit nobody's biometrics).
//! Unknown is not "no": no `subject`, an empty `subject` (`{}`) or `real_person: null` is held
//! too, because the stage cannot tell that nobody real is edited. Evidence: `subject.consent`
//! (real person, consent missing), `subject.real_person` (not given) or `subject` (absent).
//!
//! # Techniques
//!
//! | technique | checked | reasoning |
//! |---|---|---|
//! | `face_swap`, `face_attribute_editing`, `face_manipulation` | yes | edit a person's face: the core of Art. 14 |
//! | `pose_manipulation` | yes | Art. 23(4) classes posture manipulation with the biometric features in images/video; it re-animates a real person's body and face |
//! | `face_generation` | yes | Art. 23(4) biometric category; a face "generated" of a real person is built from that person's facial data, i.e. an edit of it (gated by `real_person`, so invented faces pass) |
//! | `voice_conversion`, `voice_editing` | yes | edit a person's voice (人声): the core of Art. 14 |
//! | `tts` | yes | Art. 23(2) speech category; TTS in a real person's voice is voice cloning (gated by `real_person`) |
//! | `digital_human` | yes | a digital human of a real person reproduces that person's face and voice |
//! | `other` | yes | unknown technique applied to a real person: fails safe to a moderator |
//! | text, music, `audio_scene_editing`, `image_*`, `3d_reconstruction`, `virtual_scene` | no | do not edit face or voice biometrics (Art. 23(1), (3), (5), (6) non-biometric categories) |

use serde::Deserialize;

use super::{BuildStage, Finding, Stage, StageContext, StageOutput};
use crate::config::ConfigError;
use crate::decision::{reason_codes, Evidence, ReasonCode, StageKind};
use crate::event::{Consent, PublishEvent, Technique};

reason_codes! {
    /// Face or voice editing of a real person without consent.
    BiometricConsentMissing = "biometric_consent_missing", BiometricConsent, Hold, "Art. 14";
}

/// `[[stages]] kind = "biometric_consent"`: no settings besides `actions`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BiometricConsentConfig {}

/// Biometric editing consent check (`biometric_consent_missing`, Art. 14).
#[derive(Debug, Default, Clone, Copy)]
pub struct BiometricConsent;

impl BuildStage for BiometricConsent {
    type Config = BiometricConsentConfig;

    fn build(_: BiometricConsentConfig, _: &mut StageContext<'_>) -> Result<Self, ConfigError> {
        Ok(BiometricConsent)
    }
}

/// Whether a technique edits face or voice biometric information in the sense of Art. 14 (see the
/// module documentation for the reasoning per technique).
pub fn edits_biometrics(technique: Technique) -> bool {
    use Technique::*;
    match technique {
        FaceSwap | FaceAttributeEditing | FaceManipulation | PoseManipulation | FaceGeneration
        | VoiceConversion | VoiceEditing | Tts | DigitalHuman | Other => true,
        TextGeneration | Dialogue | TextStyleTransfer | MusicGeneration | AudioSceneEditing
        | ImageGeneration | ImageEnhancement | ImageRestoration | ThreeDReconstruction
        | VirtualScene => false,
    }
}

impl Stage for BiometricConsent {
    fn kind(&self) -> StageKind {
        StageKind::BiometricConsent
    }

    fn review(&self, event: &PublishEvent, out: &mut StageOutput) {
        let technique = event.synthesis.technique;
        if !edits_biometrics(technique) {
            return;
        }
        // Only an explicit `real_person: false` says nobody's biometrics are edited; no subject,
        // an empty one or `real_person: null` leaves it unknown, and unknown fails safe.
        let subject = event.subject.as_ref();
        let real_person = subject.and_then(|s| s.real_person);
        if real_person == Some(false) {
            return;
        }
        let consent = subject.and_then(|s| s.consent);
        let state = match consent {
            Some(Consent::Obtained) => return,
            Some(Consent::NotObtained) => Some("not_obtained"),
            Some(Consent::Unknown) => Some("unknown"),
            None => None,
        };
        let (field, detail) = match (subject, real_person) {
            (Some(_), Some(true)) => (
                "subject.consent",
                format!(
                    "{} edits the face or voice of a real person (subject.real_person); Art. 14 \
                     requires that person's separate consent, but subject.consent is {}",
                    technique.as_str(),
                    state.unwrap_or("absent")
                ),
            ),
            (None, _) => (
                "subject",
                format!(
                    "{} edits face or voice biometrics, but the event has no subject: whether a \
                     real person is edited is unknown (only subject.real_person: false skips \
                     Art. 14's separate consent), and no consent is recorded",
                    technique.as_str()
                ),
            ),
            (Some(_), _) => (
                "subject.real_person",
                format!(
                    "{} edits face or voice biometrics and subject.real_person is not given: \
                     whether a real person is edited is unknown (only subject.real_person: false \
                     skips Art. 14's separate consent), and subject.consent is {}",
                    technique.as_str(),
                    state.unwrap_or("absent")
                ),
            ),
        };
        out.findings.push(
            Finding::new(ReasonCode::BiometricConsentMissing)
                .detail(detail)
                .evidence(Evidence {
                    field: field.into(),
                    start: None,
                    end: None,
                    matched: state.map(str::to_string),
                    term: None,
                }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::Action;
    use crate::stages::test_support::event;
    use serde_json::{json, Value};

    fn run(technique: &str, subject: Value) -> StageOutput {
        let mut out = StageOutput::default();
        BiometricConsent.review(
            &event(json!({"synthesis": {"technique": technique}, "subject": subject})),
            &mut out,
        );
        out
    }

    #[test]
    fn table() {
        let real = |consent: Value| json!({"real_person": true, "consent": consent});
        // (name, technique, subject, flagged, evidence value)
        let cases: Vec<(&str, &str, Value, bool, Option<&str>)> = vec![
            (
                "swap, not obtained",
                "face_swap",
                real(json!("not_obtained")),
                true,
                Some("not_obtained"),
            ),
            (
                "swap, unknown",
                "face_swap",
                real(json!("unknown")),
                true,
                Some("unknown"),
            ),
            (
                "swap, consent absent",
                "face_swap",
                json!({"real_person": true}),
                true,
                None,
            ),
            (
                "swap, consent null",
                "face_swap",
                real(json!(null)),
                true,
                None,
            ),
            (
                "swap, obtained",
                "face_swap",
                real(json!("obtained")),
                false,
                None,
            ),
            (
                "swap, not a real person",
                "face_swap",
                json!({"real_person": false, "consent": "not_obtained"}),
                false,
                None,
            ),
            (
                "swap, real_person unknown",
                "face_swap",
                json!({"consent": "not_obtained"}),
                true,
                Some("not_obtained"),
            ),
            (
                "swap, real_person null",
                "face_swap",
                json!({"real_person": null}),
                true,
                None,
            ),
            (
                "swap, real_person unknown but consent obtained",
                "face_swap",
                json!({"consent": "obtained"}),
                false,
                None,
            ),
            (
                "tts, not a real person, consent absent",
                "tts",
                json!({"real_person": false}),
                false,
                None,
            ),
            ("swap, empty subject", "face_swap", json!({}), true, None),
            ("swap, no subject", "face_swap", json!(null), true, None),
            (
                "voice editing, no subject",
                "voice_editing",
                json!(null),
                true,
                None,
            ),
            (
                "image generation, no subject",
                "image_generation",
                json!(null),
                false,
                None,
            ),
            (
                "voice conversion, not obtained",
                "voice_conversion",
                real(json!("not_obtained")),
                true,
                Some("not_obtained"),
            ),
            (
                "voice conversion, obtained",
                "voice_conversion",
                real(json!("obtained")),
                false,
                None,
            ),
            (
                "text generation about a real person",
                "text_generation",
                real(json!("not_obtained")),
                false,
                None,
            ),
            (
                "image restoration of a real person",
                "image_restoration",
                real(json!("not_obtained")),
                false,
                None,
            ),
            (
                "virtual scene",
                "virtual_scene",
                real(json!("unknown")),
                false,
                None,
            ),
        ];
        for (name, technique, subject, flagged, matched) in cases {
            let out = run(technique, subject.clone());
            assert_eq!(out.findings.len(), usize::from(flagged), "{name}");
            assert!(out.actions.is_empty(), "{name}");
            if let Some(f) = out.findings.first() {
                assert_eq!(f.code, ReasonCode::BiometricConsentMissing, "{name}");
                assert_eq!(f.action, Action::Hold, "{name}");
                let e = f.evidence.as_ref().unwrap();
                let field = match subject.get("real_person") {
                    _ if subject.is_null() => "subject",
                    Some(Value::Bool(true)) => "subject.consent",
                    _ => "subject.real_person",
                };
                assert_eq!(e.field, field, "{name}");
                assert_eq!(e.matched.as_deref(), matched, "{name}");
                let detail = f.detail.as_deref().unwrap();
                assert!(detail.contains(technique), "{name}: {detail}");
                if !subject.is_null() {
                    assert!(
                        detail.contains(matched.unwrap_or("absent")),
                        "{name}: {detail}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_technique_positive_and_negative() {
        let all = [
            ("text_generation", false),
            ("dialogue", false),
            ("text_style_transfer", false),
            ("tts", true),
            ("voice_conversion", true),
            ("voice_editing", true),
            ("music_generation", false),
            ("audio_scene_editing", false),
            ("face_generation", true),
            ("face_swap", true),
            ("face_attribute_editing", true),
            ("face_manipulation", true),
            ("pose_manipulation", true),
            ("image_generation", false),
            ("image_enhancement", false),
            ("image_restoration", false),
            ("3d_reconstruction", false),
            ("digital_human", true),
            ("virtual_scene", false),
            ("other", true),
        ];
        for (technique, biometric) in all {
            let missing = run(
                technique,
                json!({"real_person": true, "consent": "not_obtained"}),
            );
            assert_eq!(
                missing.findings.len(),
                usize::from(biometric),
                "{technique}"
            );
            let obtained = run(
                technique,
                json!({"real_person": true, "consent": "obtained"}),
            );
            assert!(obtained.findings.is_empty(), "{technique}");
        }
    }
}
