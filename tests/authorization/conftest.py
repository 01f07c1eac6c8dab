import pytest

from tests.authorization.sample_content import sample_packet_content


@pytest.fixture
def packet_content():
    """A candidate's attested packet with one gap and two documents (a PDF and a PNG)."""
    return sample_packet_content()
