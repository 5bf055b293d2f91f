"""The books' API in the generated OpenAPI schema."""

from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator


def test_schema_describes_the_books_without_warning_about_them(capsys):
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for path in (
        "/api/v1/books/campaigns/{slug}/budget/",
        "/api/v1/books/campaigns/{slug}/expenses/",
        "/api/v1/books/campaigns/{slug}/expenses/create/",
        "/api/v1/books/campaigns/{slug}/close/",
        "/api/v1/books/expenses/{expense_id}/",
        "/api/v1/books/disbursements/",
        "/api/v1/books/disbursements/{batch_id}/",
        "/api/v1/books/cooperatives/{cooperative_id}/export.csv",
    ):
        assert path in paths, path

    create = paths["/api/v1/books/campaigns/{slug}/expenses/create/"]["post"]
    content = create["requestBody"]["content"]
    assert {"multipart/form-data", "application/json"} <= set(content)
    body = schema["components"]["schemas"][content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert {"budget_line", "date", "supplier", "amount", "payment_method"} <= set(body["required"])
    assert "receipt" in body["properties"]
    assert "201" in create["responses"]

    # The list and the detail of batches no longer share an operationId; downloads are files.
    assert paths["/api/v1/books/disbursements/"]["get"]["operationId"] != paths["/api/v1/books/disbursements/{batch_id}/"]["get"]["operationId"]
    assert "text/csv" in paths["/api/v1/books/cooperatives/{cooperative_id}/export.csv"]["get"]["responses"]["200"]["content"]

    ours = [line for line in capsys.readouterr().err.splitlines() if "trousse/ledger/" in line or "books" in line]
    assert ours == []
