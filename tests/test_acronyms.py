from assistant.index.acronyms import find_acronyms, find_spelled_out
from assistant.search.query import expand


def test_definitions_in_parentheses_and_stands_for():
    texts = [
        "A dedicated virtual Trusted Platform Module (TPM) certifies the VM.",
        "encrypted using a Platform-managed key (PMK).",
        "Intel TDX stands for Intel Trust Domain Extensions (Intel TDX) It a TEE.",
        "SEV-SNP stands for Secure Encrypted Virtualization-Secure Nested Paging.",
        "Hardware Security Module (HSM) can be attached. The keys (see above) are (mostly) safe.",
    ]
    assert find_acronyms(texts) == {
        "tpm": "Trusted Platform Module",
        "pmk": "Platform-managed key",
        "hsm": "Hardware Security Module",
        "tdx": "Trust Domain Extensions",
        "sev-snp": "Secure Encrypted Virtualization-Secure Nested Paging",
        # the parts of SEV-SNP are spelled out in its definition too
        "sev": "Secure Encrypted Virtualization",
        "snp": "Secure Nested Paging",
    }


def test_undefined_acronym_spelled_out_elsewhere():
    texts = ["Convert a CVM into another CVM.", "A confidential VM is one.", "Every confidential VM has a vTPM."]
    assert find_spelled_out(texts, {}) == {"cvm": "confidential VM"}
    # a one-off lower-case phrase, an English word in capitals, or a phrase on small words is not enough
    assert find_spelled_out(["The CVM runs a custom virtual machine.", "DO NOT USE it."], {}) == {}
    assert find_spelled_out(["I used CSS.", "the corresponding sheet sh"], {}) == {}


def test_expand_appends_long_forms_once():
    acronyms = {"pmk": "Platform-managed key", "tpm": "Trusted Platform Module"}
    assert expand("change from PMK to CMK", acronyms) == "change from PMK to CMK (Platform-managed key)"
    assert expand("PMKs and pmk", acronyms) == "PMKs and pmk (Platform-managed key)"
    assert expand("the Trusted Platform Module (TPM)", acronyms) == "the Trusted Platform Module (TPM)"
    assert expand("no acronyms here", acronyms) == "no acronyms here"


def test_retriever_expands_corpus_acronyms(retriever):
    assert retriever.data.acronyms["pmk"] == "Platform-managed key"
    hit = retriever.search("change from PMK to CMK after creation", k=1)[0]
    assert hit.question.startswith("Is it possible to switch between Platform-managed keys")
    plain = retriever.with_settings(expand_acronyms=False).search("change from PMK to CMK after creation", k=1)[0]
    assert hit.score > plain.score
