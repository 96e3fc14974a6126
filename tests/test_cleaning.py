from assistant.ingest.cleaning import GlueSplitter, clean_lines, fix_mojibake, is_boilerplate, is_repeated_line


def test_mojibake_repairs_cut_quotes_and_double_encoding():
    assert fix_mojibake("the virtual machineâs memory") == "the virtual machine's memory"
    assert fix_mojibake('data in useâ, including') == 'data in use", including'
    assert fix_mojibake("we supportIntelÂ® Trust") == "we supportIntel® Trust"
    assert fix_mojibake("donâ€™t") == "don’t"


def test_mojibake_leaves_real_accents_alone():
    assert fix_mojibake("pâte and château, âge") == "pâte and château, âge"


def test_boilerplate_lines():
    for line in ["Feedback", "Was this page helpful?", "Additional resources", "3 contributors",
                 "In this article", "Access to this page requires authorization. You can trysigning in."]:
        assert is_boilerplate(line), line
    for line in ["No.", "Yes, but only if the pagefile.sys is located on the encrypted OS disk.", "Note"]:
        assert not is_boilerplate(line), line


def test_repeated_lines():
    assert is_repeated_line("systemctl restart chronyd.service", "systemctl restart chronyd.service")
    assert is_repeated_line("6.2.0-1011-azure", "the minimum kernel version6.2.0-1011-azure.")
    assert not is_repeated_line("No.", "No. After you've created a confidential VM, you can't.")
    assert not is_repeated_line("Deploy from the Azure portal", "Here are some ways to deploy:")


def split(document: str, line: str | None = None) -> str:
    return GlueSplitter(document)(line if line is not None else document)


def test_glued_link_text_is_split():
    assert split("Confidential VMs leverages AMD SEV-SNP andAzure Key Vault.") == (
        "Confidential VMs leverages AMD SEV-SNP and Azure Key Vault."
    )
    assert split("answers to questions aboutconfidential virtual machines") == (
        "answers to questions about confidential virtual machines"
    )
    assert split("You can useAzure Compute Galleryto modify an image.") == (
        "You can use Azure Compute Gallery to modify an image."
    )
    assert split("the encrypted OSTips for moving it") == "the encrypted OS Tips for moving it"
    assert split("core quota for confidential VMs.Create a support request") == (
        "core quota for confidential VMs. Create a support request"
    )
    assert split("the minimum kernel version6.2.0-1011-azure.") == "the minimum kernel version 6.2.0-1011-azure."


def test_real_words_are_not_split():
    doc = ("Log in with your login. Guest attestation allows customers to attest that VMs are genuine. "
           "This experience bypasses the native services. Install macOS updates on macOS. "
           "The pagefile.sys file; move pagefile.sys. Use BitLocker, PowerShell, iPhone, eBay and DCasv5.")
    assert split(doc) == doc


def test_clean_lines_keeps_line_numbers():
    raw = "Feedback\nWhat is X?\nX is a thing.\nX is a thing.\n\nWas this page helpful?"
    kept = clean_lines(list(enumerate(raw.splitlines(), start=1)), raw)
    assert kept == [(2, "What is X?"), (3, "X is a thing.")]
