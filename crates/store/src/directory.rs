//! The directory aggregate's storage: brands and the departments under them.
use crate::{PageRequest, Result};
use async_trait::async_trait;
use domain::{Brand, Department};

/// Reading brands and departments.
#[async_trait]
pub trait DirectoryRead: Send {
    async fn brand(&mut self, id: i64) -> Result<Option<Brand>>;
    async fn brand_list(&mut self, page: &PageRequest) -> Result<Vec<Brand>>;
    async fn department(&mut self, id: i64) -> Result<Option<Department>>;
    async fn department_list(
        &mut self,
        brand_id: Option<i64>,
        public_only: bool,
        page: &PageRequest,
    ) -> Result<Vec<Department>>;
    async fn department_ticket_count(&mut self, id: i64) -> Result<i64>;
    async fn brand_department_count(&mut self, id: i64) -> Result<i64>;
}

/// Changing brands and departments, on a transaction.
#[async_trait]
pub trait DirectoryWrite: Send {
    async fn insert_brand(&mut self, brand: &Brand) -> Result<Brand>;
    async fn update_brand(&mut self, brand: &Brand) -> Result<()>;
    async fn delete_brand(&mut self, id: i64) -> Result<()>;
    async fn insert_department(&mut self, department: &Department) -> Result<Department>;
    async fn update_department(&mut self, department: &Department) -> Result<()>;
    async fn delete_department(&mut self, id: i64) -> Result<()>;
}
