/**
 * The inventory example's handler: answers the public `GET /items` (JWT, payload 2.0) and the
 * private `PUT /items/{sku}/stock` (SigV4, REST proxy) with fixed data. It exists to be bundled
 * and wired by the example program, not to keep stock.
 */
import type { APIGatewayProxyResult, APIGatewayProxyResultV2 } from "aws-lambda";

/** The answer to every request: the items and, for a stock update, the path's SKU. */
export async function handler(event: {
  pathParameters?: Record<string, string | undefined> | null;
}): Promise<APIGatewayProxyResultV2 & APIGatewayProxyResult> {
  const sku = event.pathParameters?.sku;
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(sku ? { sku, updated: true } : { items: [{ sku: "A-1", stock: 3 }] }),
  };
}
